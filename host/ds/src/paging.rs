//! Cursor checks, so that a server whose pages never end cannot keep a
//! listing going forever.
//!
//! Each page is checked on its own when it is read ([`check_page`]): more
//! pages announced with no cursor, or with the cursor just sent, cannot lead
//! anywhere. A [`PageCursor`] also remembers every cursor of its listing
//! (a cycle over several pages) and counts pages against
//! [`DsLimits::max_pages`](crate::DsLimits::max_pages).

use std::collections::HashSet;

use sha2::{Digest, Sha256};

use crate::client::DsClient;
use crate::error::DsError;
use crate::model::{Dossier, DossierFilter, Page};

/// Refuses a page that says more follow but gives no way to ask for them:
/// no (or an empty) `endCursor`, or the very cursor it was asked with.
pub(crate) fn check_page<T>(after: Option<&str>, page: &Page<T>) -> Result<(), DsError> {
    if !page.has_next_page {
        return Ok(());
    }
    match page.end_cursor.as_deref() {
        None | Some("") => Err(DsError::Pagination(
            "hasNextPage is true but endCursor is empty".into(),
        )),
        Some(end) if Some(end) == after => Err(DsError::Pagination(
            "hasNextPage is true but endCursor did not advance".into(),
        )),
        Some(_) => Ok(()),
    }
}

/// Where a listing stands: the cursor to ask with next, whether it is
/// finished, and what it has seen. Pass it to [`DsClient::next_dossiers`],
/// or feed it any page with [`PageCursor::advance`].
///
/// Cursors are kept as SHA-256 digests, so a server sending huge cursors
/// costs 32 bytes per page here, and at most `max_pages` of them.
#[derive(Debug, Clone)]
pub struct PageCursor {
    after: Option<String>,
    seen: HashSet<[u8; 32]>,
    pages: u32,
    max_pages: u32,
    finished: bool,
}

fn digest(cursor: &str) -> [u8; 32] {
    Sha256::digest(cursor.as_bytes()).into()
}

impl PageCursor {
    /// A listing from the start that may take at most `max_pages` pages.
    pub fn new(max_pages: u32) -> Self {
        Self {
            after: None,
            seen: HashSet::new(),
            pages: 0,
            max_pages: max_pages.max(1),
            finished: false,
        }
    }

    /// The cursor to pass as `after` for the next page.
    pub fn after(&self) -> Option<&str> {
        self.after.as_deref()
    }

    /// The last page said no more follow.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Pages taken so far.
    pub fn pages(&self) -> u32 {
        self.pages
    }

    /// Takes in the page just read (asked with [`PageCursor::after`]). Fails
    /// when its cursor cannot lead further (see [`check_page`]), was already
    /// seen in this listing, or the listing reached its page ceiling.
    pub fn advance<T>(&mut self, page: &Page<T>) -> Result<(), DsError> {
        self.pages += 1;
        if !page.has_next_page {
            self.finished = true;
            return Ok(());
        }
        check_page(self.after(), page)?;
        let end = page.end_cursor.clone().unwrap_or_default();
        if !self.seen.insert(digest(&end)) {
            return Err(DsError::Pagination(format!(
                "endCursor after page {} repeats an earlier one",
                self.pages
            )));
        }
        if self.pages >= self.max_pages {
            return Err(DsError::Limit(format!(
                "listing longer than {} pages (DsLimits::max_pages)",
                self.max_pages
            )));
        }
        self.after = Some(end);
        Ok(())
    }
}

impl DsClient {
    /// A fresh listing bounded by this client's [`crate::DsLimits::max_pages`].
    pub fn page_cursor(&self) -> PageCursor {
        PageCursor::new(self.inner.limits.max_pages)
    }

    /// The next page of a démarche's dossiers for `cursor`, or `None` once
    /// the listing is finished. Ends with an error, not a loop, when DS's
    /// cursors do not move forward.
    pub async fn next_dossiers(
        &self,
        permit: &pont_policy::Permit,
        demarche: i64,
        filter: &DossierFilter,
        cursor: &mut PageCursor,
    ) -> Result<Option<Page<Dossier>>, DsError> {
        if cursor.is_finished() {
            return Ok(None);
        }
        let page = self
            .dossiers(permit, demarche, filter, cursor.after())
            .await?;
        cursor.advance(&page)?;
        Ok(Some(page))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(next: bool, end: Option<&str>) -> Page<()> {
        Page {
            items: Vec::new(),
            end_cursor: end.map(str::to_string),
            has_next_page: next,
            unread: Vec::new(),
        }
    }

    #[test]
    fn a_listing_follows_advancing_cursors_to_its_end() {
        let mut c = PageCursor::new(10);
        c.advance(&page(true, Some("a"))).unwrap();
        assert_eq!(c.after(), Some("a"));
        c.advance(&page(true, Some("b"))).unwrap();
        c.advance(&page(false, None)).unwrap();
        assert!(c.is_finished());
        assert_eq!(c.pages(), 3);
    }

    #[test]
    fn more_pages_without_a_cursor_or_with_the_same_one_are_refused() {
        for end in [None, Some("")] {
            let err = PageCursor::new(10).advance(&page(true, end)).unwrap_err();
            assert!(matches!(err, DsError::Pagination(_)), "{err}");
        }
        let mut c = PageCursor::new(10);
        c.advance(&page(true, Some("a"))).unwrap();
        let err = c.advance(&page(true, Some("a"))).unwrap_err();
        assert!(err.to_string().contains("did not advance"), "{err}");
    }

    #[test]
    fn a_cycle_over_several_pages_is_refused() {
        let mut c = PageCursor::new(10);
        for end in ["a", "b", "c"] {
            c.advance(&page(true, Some(end))).unwrap();
        }
        let err = c.advance(&page(true, Some("a"))).unwrap_err();
        assert!(err.to_string().contains("repeats"), "{err}");
    }

    #[test]
    fn the_page_ceiling_stops_an_endless_listing() {
        let mut c = PageCursor::new(3);
        c.advance(&page(true, Some("a"))).unwrap();
        c.advance(&page(true, Some("b"))).unwrap();
        let err = c.advance(&page(true, Some("c"))).unwrap_err();
        assert!(matches!(err, DsError::Limit(_)), "{err}");
        assert!(err.to_string().contains("max_pages"), "{err}");
    }
}
