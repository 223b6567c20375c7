CREATE TABLE movies (
    id BIGSERIAL PRIMARY KEY,
    title TEXT NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    genre TEXT NOT NULL DEFAULT '' CHECK (char_length(genre) <= 50),
    year INTEGER CHECK (year BETWEEN 1888 AND 2100),
    director TEXT NOT NULL DEFAULT '' CHECK (char_length(director) <= 200),
    description TEXT NOT NULL DEFAULT '' CHECK (char_length(description) <= 5000),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX movies_genre_index ON movies (lower(genre));
CREATE INDEX movies_year_index ON movies (year);
