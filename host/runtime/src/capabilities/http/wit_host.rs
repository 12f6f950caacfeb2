//! Pont's own `pont:robot/http` interface: whole requests in, whole (or spooled) responses
//! out, redirects followed by the host with every hop checked by the gate.

use std::io::Write;

use wasmtime::component::Resource;

use super::{Caller, HttpFailure, MAX_BLOB_BODY, MAX_REDIRECTS, MAX_RESPONSE_BODY, Outgoing};
use crate::bindings::pont::robot::http::{self, Request, Response};
use crate::bindings::pont::robot::types::{Error, Provenance};
use crate::blob::BlobEntry;
use crate::store::ItemState;

type Res<T> = wasmtime::Result<Result<T, Error>>;

impl From<HttpFailure> for Error {
    fn from(f: HttpFailure) -> Self {
        match f {
            HttpFailure::Denied(m) => Error::Denied(m),
            HttpFailure::Invalid(m) => Error::Invalid(m),
            HttpFailure::Limit(m) => Error::Limit(m),
            HttpFailure::Unavailable(m) => Error::Unavailable(m),
        }
    }
}

impl ItemState {
    pub(crate) fn http_caller(&self) -> Caller {
        Caller {
            run: self.run.clone(),
            item: self.item,
            tools: self.tools.clone(),
        }
    }
}

impl http::Host for ItemState {
    async fn send(&mut self, request: Request) -> Res<Response> {
        let caller = self.http_caller();
        Ok(send_in_memory(&caller, request).await.map_err(Error::from))
    }

    async fn send_to_blob(&mut self, request: Request) -> Res<(u16, Resource<BlobEntry>)> {
        let caller = self.http_caller();
        let spool = self.run.spool.clone();
        match send_spooled(&caller, request, &spool).await {
            Ok((status, blob)) => Ok(self
                .keep_blob(("http", "send-to-blob"), blob)
                .map(|b| (status, b))),
            Err(f) => Ok(Err(f.into())),
        }
    }
}

async fn send_in_memory(caller: &Caller, request: Request) -> Result<Response, HttpFailure> {
    let (mut answer, _) = follow(caller, request).await?;
    let status = answer.response.status().as_u16();
    let headers = super::header_pairs(answer.response.headers(), &answer.redactor);
    let mut body = Vec::new();
    while let Some(chunk) = next_chunk(&mut answer.response).await? {
        body.extend(answer.redactor.push(&chunk));
        if body.len() as u64 > MAX_RESPONSE_BODY {
            return Err(HttpFailure::Limit(format!(
                "response body is over the {MAX_RESPONSE_BODY}-byte limit (use send-to-blob)"
            )));
        }
    }
    body.extend(answer.redactor.finish());
    Ok(Response {
        status,
        headers,
        body,
    })
}

async fn send_spooled(
    caller: &Caller,
    request: Request,
    spool: &std::path::Path,
) -> Result<(u16, BlobEntry), HttpFailure> {
    let (mut answer, url) = follow(caller, request).await?;
    let status = answer.response.status().as_u16();
    let io = |e: std::io::Error| HttpFailure::Unavailable(format!("spool: {e}"));
    let path = BlobEntry::reserve(&answer.permit, spool, "http-").map_err(io)?;
    let written = async {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path).map_err(io)?);
        let mut total = 0u64;
        while let Some(chunk) = next_chunk(&mut answer.response).await? {
            total += chunk.len() as u64;
            if total > MAX_BLOB_BODY {
                return Err(HttpFailure::Limit(format!(
                    "response body is over the {MAX_BLOB_BODY}-byte limit"
                )));
            }
            file.write_all(&answer.redactor.push(&chunk)).map_err(io)?;
        }
        file.write_all(&answer.redactor.finish()).map_err(io)?;
        file.flush().map_err(io)
    }
    .await;
    if let Err(e) = written {
        let _ = std::fs::remove_file(&path);
        return Err(e);
    }
    let content_type = answer
        .response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_string();
    let file_name = url
        .path_segments()
        .and_then(|mut s| s.next_back().map(str::to_string))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "response".into());
    let origin = url.origin().ascii_serialization();
    let blob = (path.clone(), file_name.as_str(), content_type.as_str());
    let source = Provenance::HttpResponse(origin);
    match BlobEntry::adopt(std::slice::from_ref(&answer.permit), blob, source) {
        Ok(blob) => Ok((status, blob)),
        Err(e) => {
            let _ = std::fs::remove_file(&path);
            Err(io(e))
        }
    }
}

async fn next_chunk(r: &mut reqwest::Response) -> Result<Option<bytes::Bytes>, HttpFailure> {
    r.chunk()
        .await
        .map_err(|e| HttpFailure::Unavailable(format!("reading the response failed: {e}")))
}

/// The robot's request as the first hop.
fn outgoing(request: Request) -> Result<Outgoing, HttpFailure> {
    let method = reqwest::Method::from_bytes(request.method.to_ascii_uppercase().as_bytes())
        .map_err(|_| HttpFailure::Invalid(format!("method `{}` is malformed", request.method)))?;
    let url = reqwest::Url::parse(&request.url)
        .map_err(|e| HttpFailure::Invalid(format!("URL `{}`: {e}", request.url)))?;
    let mut headers = request.headers;
    for (name, spec) in request.secret_headers {
        // A bare name stands for the whole value; a template places it.
        let value = if spec.contains("{{secret:") {
            spec
        } else {
            format!("{{{{secret:{spec}}}}}")
        };
        headers.push((name, value));
    }
    Ok(Outgoing {
        method,
        url,
        headers,
        body: request.body.unwrap_or_default(),
    })
}

/// Send, following redirects; each hop goes through the gate again. Secret headers do not
/// follow a redirect to another origin.
async fn follow(
    caller: &Caller,
    request: Request,
) -> Result<(super::Answer, reqwest::Url), HttpFailure> {
    let mut out = outgoing(request)?;
    for _ in 0..=MAX_REDIRECTS {
        let answer = caller.hop(&out).await?;
        let status = answer.response.status();
        let location = answer
            .response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok());
        let (true, Some(location)) = (status.is_redirection(), location) else {
            return Ok((answer, out.url));
        };
        let next = out.url.join(location).map_err(|e| {
            HttpFailure::Invalid(format!("redirect to `{location}` is malformed: {e}"))
        })?;
        if next.origin() != out.url.origin() {
            out.headers.retain(|(_, v)| !v.contains("{{secret:"));
        }
        let code = status.as_u16();
        if code == 303 || ((code == 301 || code == 302) && out.method != reqwest::Method::HEAD) {
            out.method = reqwest::Method::GET;
            out.body.clear();
        }
        out.url = next;
    }
    Err(HttpFailure::Limit(format!(
        "more than {MAX_REDIRECTS} redirects"
    )))
}
