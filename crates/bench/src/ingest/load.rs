//! The load generator: C keep-alive HTTP/1.1 connections on plain
//! `TcpStream`s, each sending the next prepared request and reading its
//! response (status line, headers, Content-Length or chunked body) before the
//! next one, for a fixed list of requests. And the bits of HTTP it needs.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// One request, ready to write, and how many alerts it carries.
pub struct Request {
    pub bytes: Vec<u8>,
    pub alerts: usize,
}

/// A POST with a JSON body, as the bytes on the wire.
pub fn post(host: &str, path: &str, user_agent: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {user_agent}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// A parsed response.
#[derive(Debug, PartialEq)]
pub struct Response {
    pub status: u16,
    /// The connection may carry the next request.
    pub keep_alive: bool,
    pub body: Vec<u8>,
}

/// Parses one response from the front of `buf`: `Ok(None)` while incomplete,
/// else the response and how many bytes it took.
pub fn parse_response(buf: &[u8]) -> Result<Option<(Response, usize)>, String> {
    let Some(head_end) = find(buf, b"\r\n\r\n") else {
        return if buf.len() > 64 * 1024 {
            Err("response header over 64 KiB".into())
        } else {
            Ok(None)
        };
    };
    let head = std::str::from_utf8(&buf[..head_end]).map_err(|_| "response header is not UTF-8")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.split(' ');
    let version = parts.next().unwrap_or_default();
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .filter(|_| version.starts_with("HTTP/1."))
        .ok_or_else(|| format!("bad status line '{status_line}'"))?;
    let mut keep_alive = version == "HTTP/1.1";
    let (mut length, mut chunked) = (None, false);
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            return Err(format!("bad header line '{line}'"));
        };
        let value = value.trim().to_ascii_lowercase();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => {
                length = Some(
                    value
                        .parse::<usize>()
                        .map_err(|_| format!("bad Content-Length '{value}'"))?,
                )
            }
            "transfer-encoding" => chunked = value.contains("chunked"),
            "connection" if value.contains("close") => keep_alive = false,
            "connection" if value.contains("keep-alive") => keep_alive = true,
            _ => {}
        }
    }
    let start = head_end + 4;
    let (body, end) = if chunked {
        match dechunk(&buf[start..])? {
            Some((body, used)) => (body, start + used),
            None => return Ok(None),
        }
    } else if let Some(n) = length {
        if buf.len() < start + n {
            return Ok(None);
        }
        (buf[start..start + n].to_vec(), start + n)
    } else if status == 204 || status == 304 || status < 200 {
        (Vec::new(), start)
    } else {
        return Err(format!(
            "a {status} response without Content-Length or chunks"
        ));
    };
    Ok(Some((
        Response {
            status,
            keep_alive,
            body,
        },
        end,
    )))
}

/// A chunked body: `Ok(None)` while incomplete, else the body and the bytes used.
fn dechunk(buf: &[u8]) -> Result<Option<(Vec<u8>, usize)>, String> {
    let (mut at, mut body) = (0, Vec::new());
    loop {
        let Some(eol) = find(&buf[at..], b"\r\n") else {
            return Ok(None);
        };
        let line = std::str::from_utf8(&buf[at..at + eol]).map_err(|_| "bad chunk size")?;
        let hex = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(hex, 16).map_err(|_| format!("bad chunk size '{hex}'"))?;
        at += eol + 2;
        if size == 0 {
            // Trailers, if any, end with an empty line.
            loop {
                let Some(eol) = find(&buf[at..], b"\r\n") else {
                    return Ok(None);
                };
                at += eol + 2;
                if eol == 0 {
                    return Ok(Some((body, at)));
                }
            }
        }
        if buf.len() < at + size + 2 {
            return Ok(None);
        }
        body.extend_from_slice(&buf[at..at + size]);
        at += size + 2;
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A keep-alive connection and its read buffer.
pub struct Conn {
    addr: SocketAddr,
    stream: Option<TcpStream>,
    buf: Vec<u8>,
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> std::io::Result<Conn> {
        let mut c = Conn {
            addr,
            stream: None,
            buf: Vec::with_capacity(16 * 1024),
        };
        c.connect().await?;
        Ok(c)
    }

    async fn connect(&mut self) -> std::io::Result<()> {
        let s = TcpStream::connect(self.addr).await?;
        s.set_nodelay(true)?;
        self.stream = Some(s);
        self.buf.clear();
        Ok(())
    }

    /// Sends `request` and reads its response; reconnects first when the
    /// server closed the connection after the previous one.
    pub async fn exchange(&mut self, request: &[u8]) -> Result<Response, String> {
        if self.stream.is_none() {
            self.connect()
                .await
                .map_err(|e| format!("reconnect: {e}"))?;
        }
        let result = self.round_trip(request).await;
        match &result {
            Ok(r) if r.keep_alive => {}
            _ => self.stream = None,
        }
        result
    }

    async fn round_trip(&mut self, request: &[u8]) -> Result<Response, String> {
        let stream = self.stream.as_mut().ok_or("not connected")?;
        write_all(stream, request)
            .await
            .map_err(|e| format!("write: {e}"))?;
        let mut chunk = [0u8; 16 * 1024];
        loop {
            if let Some((response, used)) = parse_response(&self.buf)? {
                self.buf.drain(..used);
                return Ok(response);
            }
            let n = read(stream, &mut chunk)
                .await
                .map_err(|e| format!("read: {e}"))?;
            if n == 0 {
                return Err("the server closed the connection".into());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

// Readiness plus try_write/try_read: what tokio's io-util would do, without it.
async fn write_all(stream: &TcpStream, mut bytes: &[u8]) -> std::io::Result<()> {
    while !bytes.is_empty() {
        stream.writable().await?;
        match stream.try_write(bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

async fn read(stream: &TcpStream, into: &mut [u8]) -> std::io::Result<usize> {
    loop {
        stream.readable().await?;
        match stream.try_read(into) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
}

/// A GET on a fresh connection (readiness probes, `/metrics`).
pub async fn get(addr: SocketAddr, path: &str) -> Result<Response, String> {
    let mut c = Conn::open(addr).await.map_err(|e| e.to_string())?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    c.exchange(req.as_bytes()).await
}

/// What a load run saw.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Every request's latency, sorted.
    pub latencies: Vec<Duration>,
    pub wall: Duration,
    /// Alerts in requests answered 2xx.
    pub accepted_alerts: u64,
    pub requests: u64,
    /// Non-2xx answers and failed exchanges.
    pub errors: u64,
    /// The first error seen, to show.
    pub first_error: Option<String>,
}

/// Sends every request in `requests` over `connections` connections, each
/// taking the next unsent one; returns once all are answered. With `pace`,
/// request `i` is not sent before `i × pace` after the start (a sustained
/// rate rather than as fast as the server answers).
pub async fn run(
    addr: SocketAddr,
    requests: Arc<Vec<Request>>,
    connections: usize,
    pace: Option<Duration>,
) -> Result<Outcome, String> {
    let mut conns = Vec::new();
    for _ in 0..connections.max(1) {
        conns.push(
            Conn::open(addr)
                .await
                .map_err(|e| format!("cannot connect to {addr}: {e}"))?,
        );
    }
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = conns
        .into_iter()
        .map(|mut conn| {
            let (next, requests) = (next.clone(), requests.clone());
            tokio::spawn(async move {
                let mut out = Outcome::default();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(req) = requests.get(i) else { break };
                    if let Some(p) = pace {
                        let due = started + p * i as u32;
                        tokio::time::sleep_until(due.into()).await;
                    }
                    let t = Instant::now();
                    let result = conn.exchange(&req.bytes).await;
                    out.latencies.push(t.elapsed());
                    out.requests += 1;
                    match result {
                        Ok(r) if (200..300).contains(&r.status) => {
                            out.accepted_alerts += req.alerts as u64
                        }
                        Ok(r) => {
                            out.errors += 1;
                            out.first_error.get_or_insert_with(|| {
                                format!("HTTP {}: {}", r.status, String::from_utf8_lossy(&r.body))
                            });
                        }
                        Err(e) => {
                            out.errors += 1;
                            out.first_error.get_or_insert(e);
                        }
                    }
                }
                out
            })
        })
        .collect();
    let mut total = Outcome::default();
    for t in tasks {
        let o = t.await.map_err(|e| e.to_string())?;
        total.latencies.extend(o.latencies);
        total.accepted_alerts += o.accepted_alerts;
        total.requests += o.requests;
        total.errors += o.errors;
        if total.first_error.is_none() {
            total.first_error = o.first_error;
        }
    }
    total.wall = started.elapsed();
    total.latencies.sort_unstable();
    Ok(total)
}

/// The nearest-rank percentile `p` (0–100) of sorted `v`; zero when empty.
pub fn percentile(v: &[Duration], p: f64) -> Duration {
    if v.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_202_with_a_body_then_the_next_on_the_same_connection() {
        let one = b"HTTP/1.1 202 Accepted\r\ncontent-type: application/json\r\ncontent-length: 14\r\n\r\n{\"accepted\":1}";
        let two = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nDate: x\r\n\r\n";
        let mut buf = one.to_vec();
        buf.extend_from_slice(two);
        let (r, used) = parse_response(&buf).unwrap().unwrap();
        assert_eq!((r.status, r.keep_alive), (202, true));
        assert_eq!(r.body, b"{\"accepted\":1}");
        assert_eq!(used, one.len());
        let (r2, used2) = parse_response(&buf[used..]).unwrap().unwrap();
        assert_eq!((r2.status, r2.keep_alive, r2.body.len()), (200, true, 0));
        assert_eq!(used + used2, buf.len());
    }

    #[test]
    fn partial_responses_wait_and_close_is_seen() {
        let full = b"HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Length: 5\r\n\r\nslow!";
        for cut in [0, 10, full.len() - 1] {
            assert_eq!(parse_response(&full[..cut]).unwrap(), None, "cut at {cut}");
        }
        let (r, _) = parse_response(full).unwrap().unwrap();
        assert_eq!((r.status, r.keep_alive), (429, false));
        assert!(
            parse_response(b"HTTP/1.1 200 OK\r\n\r\n").is_err(),
            "no length"
        );
        assert!(parse_response(b"SMTP 220\r\n\r\n").is_err());
    }

    #[test]
    fn chunked_bodies_are_read_whole() {
        let r = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\nHTTP";
        let (resp, used) = parse_response(r).unwrap().unwrap();
        assert_eq!(resp.body, b"Wikipedia");
        assert_eq!(&r[used..], b"HTTP");
        assert_eq!(parse_response(&r[..r.len() - 6]).unwrap(), None);
    }

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&v, 50.0), Duration::from_millis(50));
        assert_eq!(percentile(&v, 99.0), Duration::from_millis(99));
        assert_eq!(percentile(&v, 100.0), Duration::from_millis(100));
        assert_eq!(percentile(&v, 0.0), Duration::from_millis(1));
        assert_eq!(percentile(&v[..1], 99.0), Duration::from_millis(1));
        assert_eq!(percentile(&[], 50.0), Duration::ZERO);
    }
}
