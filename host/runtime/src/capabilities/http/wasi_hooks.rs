//! The standard `wasi:http/outgoing-handler`, for robots with an HTTP grant: wasmtime-wasi-http
//! builds the request from the robot's resources, and its `send_request` hook hands it to
//! [`Caller::hop`] instead of opening a connection itself. A redirect comes back to the robot as
//! a response, and the client's next request is a new hop, checked again.

use std::future::Future;

use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::{BodyExt, Limited, StreamBody};
use hyper::body::Frame;
use wasmtime_wasi_http::{
    Error as WasiError, RequestOptions, WasiBody, WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks,
    WasiHttpView,
};

use super::{Caller, HttpFailure, MAX_REQUEST_BODY, MAX_RESPONSE_BODY, Outgoing, Redactor};
use crate::store::ItemState;

/// What an item's Store keeps for `wasi:http`.
pub(crate) struct HttpState {
    ctx: WasiHttpCtx,
    hooks: PontHooks,
}

impl HttpState {
    pub(crate) fn new(caller: Caller) -> Self {
        Self {
            ctx: WasiHttpCtx::new(),
            hooks: PontHooks { caller },
        }
    }
}

impl WasiHttpView for ItemState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http_state.ctx,
            table: &mut self.table,
            hooks: &mut self.http_state.hooks,
        }
    }
}

struct PontHooks {
    caller: Caller,
}

type IoFuture = Box<dyn Future<Output = Result<(), WasiError>> + Send>;

impl WasiHttpHooks for PontHooks {
    /// The URL carries the authority; the client sets `Host` from it.
    fn set_host_header(&mut self) -> bool {
        false
    }

    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        _options: Option<RequestOptions>,
        _fut: IoFuture,
    ) -> Box<dyn Future<Output = Result<(http::Response<WasiBody>, IoFuture), WasiError>> + Send>
    {
        let caller = self.caller.clone();
        Box::new(async move {
            let response = exchange(caller, request).await?;
            Ok((response, Box::new(async { Ok(()) }) as IoFuture))
        })
    }
}

fn wasi_error(f: HttpFailure) -> WasiError {
    match f {
        HttpFailure::Denied(_) => WasiError::HttpRequestDenied,
        HttpFailure::Limit(_) => WasiError::HttpRequestBodySize(None),
        HttpFailure::Invalid(m) | HttpFailure::Unavailable(m) => WasiError::InternalError(Some(m)),
    }
}

async fn exchange(
    caller: Caller,
    request: http::Request<WasiBody>,
) -> Result<http::Response<WasiBody>, WasiError> {
    let (parts, body) = request.into_parts();
    let body = Limited::new(body, MAX_REQUEST_BODY)
        .collect()
        .await
        .map_err(|_| WasiError::HttpRequestBodySize(None))?
        .to_bytes();
    let url = reqwest::Url::parse(&parts.uri.to_string())
        .map_err(|_| WasiError::HttpRequestUriInvalid)?;
    let mut headers = Vec::new();
    for (name, value) in &parts.headers {
        if name == http::header::HOST {
            continue;
        }
        let value = value
            .to_str()
            .map_err(|_| WasiError::InternalError(Some(format!("header `{name}` is not text"))))?;
        headers.push((name.as_str().to_string(), value.to_string()));
    }
    let out = Outgoing {
        method: parts.method.clone(),
        url,
        headers,
        body: body.to_vec(),
    };
    let answer = caller.hop(&out).await.map_err(wasi_error)?;
    let mut builder = http::Response::builder().status(answer.response.status().as_u16());
    let redacting = !answer.redactor.is_empty();
    for (name, value) in super::header_pairs(answer.response.headers(), &answer.redactor) {
        // Redaction can change the body's length.
        if redacting && name.eq_ignore_ascii_case("content-length") {
            continue;
        }
        builder = builder.header(name, value);
    }
    let body = StreamBody::new(body_stream(answer.response, answer.redactor)).boxed_unsync();
    builder
        .body(body)
        .map_err(|e| WasiError::InternalError(Some(e.to_string())))
}

/// The response body as frames: redacted, capped at [`MAX_RESPONSE_BODY`].
fn body_stream(
    response: reqwest::Response,
    redactor: Redactor,
) -> impl futures_util::Stream<Item = Result<Frame<Bytes>, WasiError>> + Send + 'static {
    struct St {
        response: reqwest::Response,
        redactor: Redactor,
        total: u64,
        done: bool,
    }
    let start = St {
        response,
        redactor,
        total: 0,
        done: false,
    };
    futures_util::stream::unfold(start, |mut st| async move {
        if st.done {
            return None;
        }
        let item = match st.response.chunk().await {
            Ok(Some(chunk)) => {
                st.total += chunk.len() as u64;
                if st.total > MAX_RESPONSE_BODY {
                    st.done = true;
                    Err(WasiError::HttpResponseBodySize(Some(st.total)))
                } else {
                    Ok(Frame::data(Bytes::from(st.redactor.push(&chunk))))
                }
            }
            Ok(None) => {
                st.done = true;
                let rest = st.redactor.finish();
                if rest.is_empty() {
                    return None;
                }
                Ok(Frame::data(Bytes::from(rest)))
            }
            Err(_) => {
                st.done = true;
                Err(WasiError::HttpResponseIncomplete)
            }
        };
        Some((item, st))
    })
    .boxed()
}
