//! The movie service's OpenAPI document, served at `/openapi.json`.

use serde_json::{json, Value};
use watchlist_kit::openapi::{
    bearer_security, document as wrap, id_parameter, json_response, pagination_parameters, responses,
};

pub fn document() -> Value {
    let movie = json!({ "$ref": "#/components/schemas/Movie" });
    let mut list_parameters = pagination_parameters();
    list_parameters.push(json!({ "name": "search", "in": "query", "description": "words in the title", "schema": { "type": "string", "maxLength": 200 } }));
    list_parameters.push(json!({ "name": "genre", "in": "query", "schema": { "type": "string", "maxLength": 50 } }));
    list_parameters.push(
        json!({ "name": "year", "in": "query", "schema": { "type": "integer", "minimum": 1888, "maximum": 2100 } }),
    );
    let write = |summary: &str, schema: &str, success: (&str, Value)| {
        json!({
            "summary": summary,
            "security": bearer_security(),
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } } },
            "responses": responses(success, &[("401", "no valid token"), ("404", "no such movie")]),
        })
    };
    let paths = json!({
        "/api/movies": {
            "get": {
                "summary": "list and search movies, by title",
                "parameters": list_parameters,
                "responses": responses(("200", json_response("a page of movies", json!({ "$ref": "#/components/schemas/MoviePage" }))), &[]),
            },
            "post": write("add a movie", "NewMovie", ("201", json_response("the new movie", movie.clone()))),
        },
        "/api/movies/{id}": {
            "parameters": [id_parameter("id")],
            "get": {
                "summary": "read a movie (cached; X-Cache says HIT or MISS)",
                "responses": responses(("200", json_response("the movie", movie.clone())), &[("404", "no such movie")]),
            },
            "patch": write("change a movie", "MovieChanges", ("200", json_response("the changed movie", movie.clone()))),
            "put": write("change a movie", "MovieChanges", ("200", json_response("the changed movie", movie))),
            "delete": {
                "summary": "delete a movie",
                "security": bearer_security(),
                "responses": responses(("204", json!({ "description": "deleted" })), &[("401", "no valid token"), ("404", "no such movie")]),
            }
        }
    });
    let text = |max: u32| json!({ "type": "string", "maxLength": max });
    let schemas = json!({
        "Movie": {
            "type": "object",
            "required": ["id", "title", "genre", "year", "director", "description", "created_at", "updated_at"],
            "properties": {
                "id": { "type": "integer", "format": "int64" },
                "title": { "type": "string" }, "genre": { "type": "string" },
                "year": { "type": "integer", "nullable": true },
                "director": { "type": "string" }, "description": { "type": "string" },
                "created_at": { "type": "string", "format": "date-time" }, "updated_at": { "type": "string", "format": "date-time" }
            }
        },
        "MoviePage": {
            "type": "object",
            "required": ["items", "total", "limit", "offset"],
            "properties": {
                "items": { "type": "array", "items": { "$ref": "#/components/schemas/Movie" } },
                "total": { "type": "integer" }, "limit": { "type": "integer" }, "offset": { "type": "integer" }
            }
        },
        "NewMovie": {
            "type": "object",
            "additionalProperties": false,
            "required": ["title"],
            "properties": {
                "title": { "type": "string", "minLength": 1, "maxLength": 200 },
                "genre": text(50), "year": { "type": "integer", "minimum": 1888, "maximum": 2100 },
                "director": text(200), "description": text(5000)
            }
        },
        "MovieChanges": {
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "title": { "type": "string", "minLength": 1, "maxLength": 200 },
                "genre": text(50), "year": { "type": "integer", "minimum": 1888, "maximum": 2100 },
                "director": text(200), "description": text(5000)
            }
        }
    });
    wrap(
        "movie",
        "/api/health/movies",
        "The catalogue of the Movie Watchlist; single reads are cached in Redis.",
        paths,
        schemas,
    )
}
