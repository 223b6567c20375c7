//! A recording HTTP proxy in front of the emulator: tests point wl-infra at it and then ask how
//! many requests, and which writes, reached AWS.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// One request as seen on the wire.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// `ec2:DescribeVpcs`, `ecr:CreateRepository`, `s3:PUT /bucket?tagging`, ...
    pub action: String,
    pub is_write: bool,
    /// The request body as text (query-protocol parameters, JSON, XML).
    pub body: String,
}

pub struct RecordingProxy {
    pub url: String,
    requests: Arc<Mutex<Vec<Request>>>,
}

impl RecordingProxy {
    /// Starts a proxy that forwards to `upstream` (`http://127.0.0.1:PORT`) and records requests.
    pub fn start(upstream: &str) -> RecordingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a proxy port");
        let url = format!("http://{}", listener.local_addr().expect("an address"));
        let upstream = upstream.trim_start_matches("http://").to_string();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&requests);
        std::thread::spawn(move || {
            for connection in listener.incoming().flatten() {
                let upstream = upstream.clone();
                let recorded = Arc::clone(&recorded);
                std::thread::spawn(move || {
                    let _ = relay(connection, &upstream, &recorded);
                });
            }
        });
        RecordingProxy { url, requests }
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().expect("the request log").clone()
    }

    pub fn clear(&self) {
        self.requests.lock().expect("the request log").clear();
    }

    pub fn writes(&self) -> Vec<String> {
        self.requests().into_iter().filter(|request| request.is_write).map(|request| request.action).collect()
    }
}

fn is_read_action(action: &str) -> bool {
    ["Describe", "List", "Get", "Head"].iter().any(|prefix| action.starts_with(prefix))
}

/// Reads one request, forwards it with `Connection: close`, relays the answer, closes.
fn relay(client: TcpStream, upstream: &str, recorded: &Mutex<Vec<Request>>) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut head = Vec::new();
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut content_length = 0usize;
    let mut target_header = None;
    let mut authorization = String::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(value) = lower.strip_prefix("content-length:") {
            content_length = value.trim().parse().unwrap_or(0);
        }
        if lower.starts_with("x-amz-target:") {
            target_header = Some(line[13..].trim().to_string());
        }
        if lower.starts_with("authorization:") {
            authorization = line.clone();
        }
        if lower.starts_with("connection:") {
            continue;
        }
        head.extend_from_slice(line.as_bytes());
    }
    let mut body = vec![0u8; content_length];
    reader.read_exact(&mut body)?;

    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let service = authorization
        .split("Credential=")
        .nth(1)
        .and_then(|credential| credential.split('/').nth(3))
        .unwrap_or("unknown")
        .to_string();
    let body_text = String::from_utf8_lossy(&body);
    let action = if let Some(target) = &target_header {
        target.rsplit('.').next().unwrap_or_default().to_string()
    } else if let Some(action) = body_text.split('&').find_map(|pair| pair.strip_prefix("Action=")) {
        action.to_string()
    } else {
        format!("{method} {path}")
    };
    let is_write = if target_header.is_some() || body_text.contains("Action=") {
        !is_read_action(&action)
    } else {
        !matches!(method.as_str(), "GET" | "HEAD")
    };
    recorded.lock().expect("the request log").push(Request {
        method: method.clone(),
        action: format!("{service}:{action}"),
        is_write,
        body: body_text.to_string(),
    });

    let mut server = TcpStream::connect(upstream)?;
    server.write_all(request_line.as_bytes())?;
    server.write_all(&head)?;
    server.write_all(b"Connection: close\r\n\r\n")?;
    server.write_all(&body)?;
    let mut response = Vec::new();
    server.read_to_end(&mut response)?;
    let mut client = client;
    client.write_all(&rewrite_connection_header(&response))?;
    client.flush()?;
    Ok(())
}

/// Makes the response say `Connection: close`, so the client opens a new connection next time.
fn rewrite_connection_header(response: &[u8]) -> Vec<u8> {
    let Some(end) = response.windows(4).position(|window| window == b"\r\n\r\n") else { return response.to_vec() };
    let head = String::from_utf8_lossy(&response[..end]);
    let mut lines: Vec<&str> =
        head.split("\r\n").filter(|line| !line.to_ascii_lowercase().starts_with("connection:")).collect();
    lines.push("Connection: close");
    let mut rewritten = lines.join("\r\n").into_bytes();
    rewritten.extend_from_slice(&response[end..]);
    rewritten
}
