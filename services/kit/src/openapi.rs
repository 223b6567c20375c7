//! Pieces of the services' OpenAPI 3.0 documents: the shared error shape, health, and the wrapper.

use serde_json::{json, Value};

/// A response described by the shared error schema.
pub fn error(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } })
}

/// A JSON response with the given schema.
pub fn json_response(description: &str, schema: Value) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": schema } } })
}

/// The errors every operation can answer with, merged with `specific` ones.
pub fn responses(success: (&str, Value), specific: &[(&str, &str)]) -> Value {
    let mut responses = serde_json::Map::new();
    responses.insert(success.0.to_string(), success.1);
    for (status, description) in [
        ("400", "bad input in the path, query or body"),
        ("413", "body over 1 MB"),
        ("415", "body is not JSON"),
        ("422", "body does not fit the schema or fails validation"),
        ("429", "rate limited; see Retry-After"),
        ("503", "a dependency is unavailable"),
    ]
    .iter()
    .chain(specific.iter())
    {
        responses.insert(status.to_string(), error(description));
    }
    Value::Object(responses)
}

/// A path parameter that is a positive 64-bit id.
pub fn id_parameter(name: &str) -> Value {
    json!({ "name": name, "in": "path", "required": true, "schema": { "type": "integer", "format": "int64", "minimum": 1 } })
}

pub fn pagination_parameters() -> Vec<Value> {
    vec![
        json!({ "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 100, "default": 20 } }),
        json!({ "name": "offset", "in": "query", "schema": { "type": "integer", "minimum": 0, "default": 0 } }),
    ]
}

pub fn bearer_security() -> Value {
    json!([{ "bearer": [] }])
}

fn liveness_operation(service: &str) -> Value {
    json!({ "get": {
        "summary": format!("liveness of the {service} service: the process answers (the load balancer's and the container's health check)"),
        "responses": {
            "200": json_response("alive", json!({ "$ref": "#/components/schemas/Liveness" })),
        }
    }})
}

fn health_operation(service: &str) -> Value {
    json!({ "get": {
        "summary": format!("readiness of the {service} service: its database answers"),
        "responses": {
            "200": json_response("healthy", json!({ "$ref": "#/components/schemas/Health" })),
            "503": json_response("the database is unavailable", json!({ "$ref": "#/components/schemas/Health" })),
        }
    }})
}

/// The whole document: `paths` and `schemas` are the service's own; errors and health are shared.
pub fn document(service: &str, health_path: &str, description: &str, mut paths: Value, mut schemas: Value) -> Value {
    paths["/health"] = liveness_operation(service);
    paths["/ready"] = health_operation(service);
    paths[health_path] = health_operation(service);
    schemas["Error"] = json!({
        "type": "object",
        "required": ["error"],
        "properties": { "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": { "code": { "type": "string" }, "message": { "type": "string" }, "field": { "type": "string" } }
        }}
    });
    schemas["Liveness"] = json!({
        "type": "object",
        "required": ["service", "status"],
        "properties": { "service": { "type": "string" }, "status": { "type": "string" } }
    });
    schemas["Health"] = json!({
        "type": "object",
        "required": ["service", "status", "database"],
        "properties": { "service": { "type": "string" }, "status": { "type": "string" }, "database": { "type": "string" }, "cache": { "type": "string" } }
    });
    json!({
        "openapi": "3.0.3",
        "info": { "title": format!("Movie Watchlist {service} service"), "version": "1.0.0", "description": description },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT" } }
        }
    })
}
