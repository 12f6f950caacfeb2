//! The direct-upload flow: `createDirectUpload` announces a blob, the object store's signed
//! PUT receives its bytes. The PUT checks size and `ETag` so a mismatch stores nothing.

use chrono::Utc;

use crate::ops::{DirectUploadData, READ_ONLY, TopError, load_dossier, signed_blob_id};
use crate::util;
use crate::world::{Blob, Caller, World};

impl World {
    /// `createDirectUpload`: announces a blob and returns where to PUT it.
    pub fn create_direct_upload(
        &self,
        caller: &Caller,
        dossier_id: &str,
        filename: String,
        byte_size: i32,
        checksum: String,
        content_type: String,
    ) -> Result<DirectUploadData, TopError> {
        let mut st = self.lock();
        let guess = util::decode_typed(dossier_id, "Dossier");
        if !caller.write {
            // DS's ready? returns { errors: … } but the payload has no errors field, so
            // graphql-ruby reports the non-null directUpload as null.
            let e = TopError { message: "Cannot return null for non-nullable field CreateDirectUploadPayload.directUpload".into(), code: "invalid_null" };
            World::log(
                &mut st,
                caller,
                "createDirectUpload",
                guess,
                None,
                Some(READ_ONLY.into()),
            );
            return Err(e);
        }
        if let Err(e) = load_dossier(&st, caller, dossier_id, "CreateDirectUploadPayload") {
            World::log(
                &mut st,
                caller,
                "createDirectUpload",
                guess,
                None,
                Some(e.message.clone()),
            );
            return Err(e);
        }
        let id = st.next_id();
        let exp = Utc::now().timestamp() + st.config.url_ttl_secs as i64;
        let token = util::b64url(&format!(
            "{id}.{exp}.{}",
            util::sign(&self.secret, &format!("up:{id}:{exp}"))
        ));
        let etag = util::md5_base64_to_hex(&checksum).unwrap_or_default();
        let headers = serde_json::json!({ "Content-Type": content_type, "ETag": etag }).to_string();
        st.blobs.insert(
            id,
            Blob {
                id,
                filename,
                content_type,
                byte_size: byte_size.max(0) as u64,
                checksum,
                data: None,
            },
        );
        World::log(
            &mut st,
            caller,
            "createDirectUpload",
            guess,
            Some(format!("blob {id}")),
            None,
        );
        Ok(DirectUploadData {
            url: format!("{}/storage/upload/{token}", self.base_url()),
            headers,
            blob_id: id.to_string(),
            signed_blob_id: signed_blob_id(&self.secret, id),
        })
    }

    /// The object store's PUT: checks the signed URL, the size and the `ETag` (hex MD5) when
    /// sent; on any mismatch nothing is stored. Errors are (HTTP status, body).
    pub fn put_blob(
        &self,
        token: &str,
        etag: Option<&str>,
        body: bytes::Bytes,
    ) -> Result<(), (u16, &'static str)> {
        let raw = util::unb64url(token).ok_or((401, "Temp URL invalid"))?;
        let mut p = raw.splitn(3, '.');
        let (id, exp, sig) = (
            p.next().unwrap_or(""),
            p.next().unwrap_or(""),
            p.next().unwrap_or(""),
        );
        if !util::verify(&self.secret, &format!("up:{id}:{exp}"), sig) {
            return Err((401, "Temp URL invalid"));
        }
        if exp.parse::<i64>().unwrap_or(0) <= Utc::now().timestamp() {
            return Err((401, "Temp URL expired"));
        }
        let id: u64 = id.parse().map_err(|_| (401, "Temp URL invalid"))?;
        let mut st = self.lock();
        let blob = st.blobs.get_mut(&id).ok_or((404, "Not Found"))?;
        if body.len() as u64 != blob.byte_size {
            return Err((422, "Unprocessable Entity: size does not match"));
        }
        if let Some(tag) = etag {
            let actual = hex::encode(md5_digest(&body));
            if !tag.trim_matches('"').eq_ignore_ascii_case(&actual) {
                return Err((422, "Unprocessable Entity: ETag does not match"));
            }
        }
        blob.data = Some(body);
        crate::scan::start(&mut st, id);
        Ok(())
    }
}

fn md5_digest(b: &[u8]) -> [u8; 16] {
    use md5::Digest;
    md5::Md5::digest(b).into()
}
