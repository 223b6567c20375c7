CREATE TABLE entries (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL,
    movie_id BIGINT NOT NULL,
    watched BOOLEAN NOT NULL DEFAULT false,
    rating SMALLINT CHECK (rating BETWEEN 1 AND 5),
    notes TEXT NOT NULL DEFAULT '' CHECK (char_length(notes) <= 2000),
    added_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT entries_movie_id_key UNIQUE (user_id, movie_id)
);
