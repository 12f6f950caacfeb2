//! The object store: signed PUT for direct uploads, signed expiring GET for attachments.
//! Generated attachments are streamed chunk by chunk (a 200 MB file never sits in memory).
//! A file with `FileLie::hide_length` is served without `Content-Length`.

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::stream;

use super::App;
use crate::model::Content;
use crate::util;

const CHUNK: u64 = 256 * 1024;

/// `PUT /storage/upload/{token}`: stores the bytes if size and `ETag` match.
pub async fn upload(
    State(app): State<App>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    app.world.received.note("upload", body.len());
    let etag = headers.get(header::ETAG).and_then(|v| v.to_str().ok());
    match app.world.put_blob(&token, etag, body) {
        Ok(()) => StatusCode::CREATED.into_response(),
        Err((code, msg)) => (
            StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST),
            msg,
        )
            .into_response(),
    }
}

/// `GET /storage/blobs/{token}/{filename}`: the attachment, if the signed URL is still valid.
pub async fn download(
    State(app): State<App>,
    Path((token, _name)): Path<(String, String)>,
) -> Response {
    // DS's object storage answers an expired signature with 401.
    let expired = || (StatusCode::UNAUTHORIZED, "Request has expired").into_response();
    if app.world.take_expired_url() {
        return expired();
    }
    let file = match app.world.file_for_token(&token) {
        Ok(f) => f,
        Err(true) => return expired(),
        Err(false) => return (StatusCode::FORBIDDEN, "Invalid signature").into_response(),
    };
    let len = file.byte_size();
    let body = match &file.content {
        // A stream has no exact size, so hyper sends it chunked, without `Content-Length`.
        Content::Bytes(b) if file.lie.hide_length => {
            let b = b.clone();
            Body::from_stream(stream::once(async move { Ok::<Bytes, std::io::Error>(b) }))
        }
        Content::Bytes(b) => Body::from(b.clone()),
        Content::Generated { seed, len, corrupt } => {
            let (seed, len, corrupt) = (*seed, *len, *corrupt);
            Body::from_stream(stream::unfold(0u64, move |off| async move {
                if off >= len {
                    return None;
                }
                let n = (len - off).min(CHUNK) as usize;
                let mut buf = vec![0u8; n];
                util::fill_generated(seed, off, &mut buf);
                if corrupt
                    && off == 0
                    && let Some(b) = buf.first_mut()
                {
                    *b ^= 0xFF;
                }
                Some((
                    Ok::<Bytes, std::io::Error>(Bytes::from(buf)),
                    off + n as u64,
                ))
            }))
        }
    };
    let disposition = format!(
        "attachment; filename=\"{}\"",
        file.filename.replace('"', "")
    );
    let mut response = Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, file.content_type.as_str())
        .header(header::CONTENT_DISPOSITION, disposition);
    if !file.lie.hide_length {
        response = response.header(header::CONTENT_LENGTH, len);
    }
    response
        .body(body)
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}
