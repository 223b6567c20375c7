//! The user service's OpenAPI document, served at `/openapi.json`.

use serde_json::{json, Value};
use watchlist_kit::openapi::{
    bearer_security, document as wrap, id_parameter, json_response, pagination_parameters, responses,
};

pub fn document() -> Value {
    let user = json!({ "$ref": "#/components/schemas/User" });
    let paths = json!({
        "/api/users": {
            "post": {
                "summary": "register a user",
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Registration" } } } },
                "responses": responses(("201", json_response("the new user", user.clone())), &[("409", "username or email already taken")]),
            },
            "get": {
                "summary": "list users, oldest first",
                "parameters": pagination_parameters(),
                "responses": responses(("200", json_response("a page of users", json!({ "$ref": "#/components/schemas/UserPage" }))), &[]),
            }
        },
        "/api/users/login": {
            "post": {
                "summary": "log in for a bearer token",
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Login" } } } },
                "responses": responses(("200", json_response("a token", json!({ "$ref": "#/components/schemas/Token" }))), &[("401", "unknown username or wrong password")]),
            }
        },
        "/api/users/{id}": {
            "parameters": [id_parameter("id")],
            "get": {
                "summary": "read a user",
                "responses": responses(("200", json_response("the user", user.clone())), &[("404", "no such user")]),
            },
            "patch": {
                "summary": "change your own account",
                "security": bearer_security(),
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/UserChanges" } } } },
                "responses": responses(("200", json_response("the changed user", user)), &[("401", "no valid token"), ("403", "not your account"), ("404", "no such user"), ("409", "username or email already taken")]),
            },
            "delete": {
                "summary": "delete your own account",
                "security": bearer_security(),
                "responses": responses(("204", json!({ "description": "deleted" })), &[("401", "no valid token"), ("403", "not your account"), ("404", "no such user")]),
            }
        }
    });
    let schemas = json!({
        "User": {
            "type": "object",
            "required": ["id", "username", "email", "created_at"],
            "properties": {
                "id": { "type": "integer", "format": "int64" },
                "username": { "type": "string" },
                "email": { "type": "string" },
                "created_at": { "type": "string", "format": "date-time" }
            }
        },
        "UserPage": {
            "type": "object",
            "required": ["items", "total", "limit", "offset"],
            "properties": {
                "items": { "type": "array", "items": { "$ref": "#/components/schemas/User" } },
                "total": { "type": "integer" }, "limit": { "type": "integer" }, "offset": { "type": "integer" }
            }
        },
        "Registration": {
            "type": "object",
            "additionalProperties": false,
            "required": ["username", "email", "password"],
            "properties": {
                "username": { "type": "string", "pattern": "^[a-z0-9_]{3,32}$" },
                "email": { "type": "string", "format": "email" },
                "password": { "type": "string", "minLength": 8 }
            }
        },
        "UserChanges": {
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "username": { "type": "string", "pattern": "^[a-z0-9_]{3,32}$" },
                "email": { "type": "string", "format": "email" },
                "password": { "type": "string", "minLength": 8 }
            }
        },
        "Login": {
            "type": "object",
            "additionalProperties": false,
            "required": ["username", "password"],
            "properties": { "username": { "type": "string" }, "password": { "type": "string" } }
        },
        "Token": {
            "type": "object",
            "required": ["token", "token_type", "expires_in", "user_id"],
            "properties": {
                "token": { "type": "string" }, "token_type": { "type": "string" },
                "expires_in": { "type": "integer" }, "user_id": { "type": "integer", "format": "int64" }
            }
        }
    });
    wrap(
        "user",
        "/api/health/users",
        "Accounts of the Movie Watchlist: registration, login (JWT), profile changes.",
        paths,
        schemas,
    )
}
