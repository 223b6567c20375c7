//! The watchlist service's OpenAPI document, served at `/openapi.json`.

use serde_json::{json, Value};
use watchlist_kit::openapi::{
    bearer_security, document as wrap, id_parameter, json_response, pagination_parameters, responses,
};

pub fn document() -> Value {
    let entry = json!({ "$ref": "#/components/schemas/Entry" });
    let owner_errors: &[(&str, &str)] = &[
        ("401", "no valid token"),
        ("403", "not your watchlist"),
        ("404", "no such user, movie or entry"),
        ("409", "the movie is already on the list"),
    ];
    let mut list_parameters = vec![id_parameter("user_id")];
    list_parameters.extend(pagination_parameters());
    let paths = json!({
        "/api/watchlist/{user_id}": {
            "get": {
                "summary": "a user's watchlist, newest first, with movie details",
                "security": bearer_security(),
                "parameters": list_parameters,
                "responses": responses(("200", json_response("a page of entries", json!({ "$ref": "#/components/schemas/EntryPage" }))), owner_errors),
            },
            "post": {
                "summary": "add a movie (the user and the movie must exist)",
                "security": bearer_security(),
                "parameters": [id_parameter("user_id")],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/NewEntry" } } } },
                "responses": responses(("201", json_response("the new entry", entry.clone())), owner_errors),
            }
        },
        "/api/watchlist/{user_id}/{movie_id}": {
            "parameters": [id_parameter("user_id"), id_parameter("movie_id")],
            "patch": {
                "summary": "mark watched, rate 1-5 (null clears), change notes",
                "security": bearer_security(),
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/EntryChanges" } } } },
                "responses": responses(("200", json_response("the changed entry", entry)), owner_errors),
            },
            "delete": {
                "summary": "remove a movie from the list",
                "security": bearer_security(),
                "responses": responses(("204", json!({ "description": "removed" })), owner_errors),
            }
        }
    });
    let schemas = json!({
        "Entry": {
            "type": "object",
            "required": ["movie_id", "watched", "rating", "notes", "added_at", "updated_at", "movie"],
            "properties": {
                "movie_id": { "type": "integer", "format": "int64" },
                "watched": { "type": "boolean" },
                "rating": { "type": "integer", "minimum": 1, "maximum": 5, "nullable": true },
                "notes": { "type": "string" },
                "added_at": { "type": "string", "format": "date-time" },
                "updated_at": { "type": "string", "format": "date-time" },
                "movie": { "type": "object", "nullable": true }
            }
        },
        "EntryPage": {
            "type": "object",
            "required": ["user_id", "items", "total", "limit", "offset"],
            "properties": {
                "user_id": { "type": "integer" },
                "items": { "type": "array", "items": { "$ref": "#/components/schemas/Entry" } },
                "total": { "type": "integer" }, "limit": { "type": "integer" }, "offset": { "type": "integer" }
            }
        },
        "NewEntry": {
            "type": "object",
            "additionalProperties": false,
            "required": ["movie_id"],
            "properties": { "movie_id": { "type": "integer", "format": "int64", "minimum": 1 }, "notes": { "type": "string", "maxLength": 2000 } }
        },
        "EntryChanges": {
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "watched": { "type": "boolean" },
                "rating": { "type": "integer", "minimum": 1, "maximum": 5, "nullable": true },
                "notes": { "type": "string", "maxLength": 2000 }
            }
        }
    });
    wrap(
        "watchlist",
        "/api/health/watchlist",
        "Personal watchlists; adding checks the user and the movie through their services.",
        paths,
        schemas,
    )
}
