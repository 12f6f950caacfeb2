//! DS's `max_depth 15` (graphql-ruby's `MaxQueryDepth`): a document whose selected operation
//! nests fields deeper than 15 is refused before anything runs, with graphql-ruby's message
//! and no `data` key. Depth is counted as graphql-ruby counts it: every field is one level
//! (leaves, `__typename` and introspection fields included), fragments are inlined, and
//! fields dropped by `@skip`/`@include` do not count. The check runs after validation, as
//! in graphql-ruby, so an invalid document gets its validation errors instead.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation};
use async_graphql::parser::types::{Directive, ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Positioned, ServerError, ValidationResult, Value};
use serde_json::Value as Json;

/// DS's limit (`app/graphql/api/v2/schema.rb`).
pub const MAX_DEPTH: usize = 15;

/// Nesting past which the walk stops descending: far beyond the limit, and it keeps a
/// hostile document from exhausting the stack.
const WALK_CAP: usize = 256;

/// The depth of the request's selected operation, handed to [`DepthLimit`] as request data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryDepth(pub usize);

/// graphql-ruby's message for a document over the limit.
pub fn message(depth: usize) -> String {
    format!("Query has depth of {depth}, which exceeds max depth of {MAX_DEPTH}")
}

/// The depth of the operation `operation` names (or the only one), with `variables`
/// deciding `@skip`/`@include`; 0 when no operation is selected (validation reports that).
pub fn of(doc: &ExecutableDocument, operation: Option<&str>, variables: &Json) -> QueryDepth {
    let ops: Vec<_> = doc.operations.iter().collect();
    let op = match operation.filter(|o| !o.is_empty()) {
        Some(name) => ops
            .iter()
            .find(|(n, _)| n.is_some_and(|n| n.as_str() == name)),
        None if ops.len() == 1 => ops.first(),
        None => None,
    };
    let Some((_, op)) = op else {
        return QueryDepth(0);
    };
    let mut defaults = HashMap::new();
    for v in &op.node.variable_definitions {
        if let Some(d) = &v.node.default_value {
            defaults.insert(
                v.node.name.node.to_string(),
                d.node.clone().into_json().ok(),
            );
        }
    }
    let mut walker = Walker {
        doc,
        variables,
        defaults,
        memo: HashMap::new(),
        visiting: HashSet::new(),
    };
    QueryDepth(walker.height(&op.node.selection_set.node, 0))
}

struct Walker<'a> {
    doc: &'a ExecutableDocument,
    variables: &'a Json,
    defaults: HashMap<String, Option<Json>>,
    /// Height of each fragment already measured: a fragment spread a thousand times is
    /// walked once.
    memo: HashMap<String, usize>,
    /// Fragments being walked, so a cycle (refused by validation anyway) ends.
    visiting: HashSet<String>,
}

impl Walker<'_> {
    /// How many field levels `set` holds, itself included.
    fn height(&mut self, set: &SelectionSet, level: usize) -> usize {
        if level > WALK_CAP {
            return 0;
        }
        let mut max = 0;
        for item in &set.items {
            let h = match &item.node {
                Selection::Field(f) if !self.skipped(&f.node.directives) => {
                    1 + self.height(&f.node.selection_set.node, level + 1)
                }
                Selection::InlineFragment(f) if !self.skipped(&f.node.directives) => {
                    self.height(&f.node.selection_set.node, level)
                }
                Selection::FragmentSpread(s) if !self.skipped(&s.node.directives) => {
                    self.fragment(s.node.fragment_name.node.as_str(), level)
                }
                _ => 0,
            };
            max = max.max(h);
        }
        max
    }

    fn fragment(&mut self, name: &str, level: usize) -> usize {
        if let Some(h) = self.memo.get(name) {
            return *h;
        }
        let Some(def) = self.doc.fragments.get(name) else {
            return 0;
        };
        if !self.visiting.insert(name.to_owned()) {
            return 0;
        }
        let h = self.height(&def.node.selection_set.node, level);
        self.visiting.remove(name);
        self.memo.insert(name.to_owned(), h);
        h
    }

    /// `@skip(if: true)` or `@include(if: false)`, the condition a literal or a variable.
    fn skipped(&self, directives: &[Positioned<Directive>]) -> bool {
        directives.iter().any(|d| {
            let cond = d.node.get_argument("if").and_then(|v| {
                v.node
                    .clone()
                    .into_const_with(|name| self.variable(&name).ok_or(()))
                    .ok()
            });
            let cond = match cond {
                Some(Value::Boolean(b)) => Some(b),
                _ => None,
            };
            match d.node.name.node.as_str() {
                "skip" => cond == Some(true),
                "include" => cond == Some(false),
                _ => false,
            }
        })
    }

    /// A variable's value: the one sent, else its default.
    fn variable(&self, name: &str) -> Option<Value> {
        let json = match self.variables.get(name) {
            Some(v) => v.clone(),
            None => self.defaults.get(name)?.clone()?,
        };
        Value::from_json(json).ok()
    }
}

/// The extension refusing documents deeper than [`MAX_DEPTH`], once validation passed.
pub struct DepthLimit;

impl ExtensionFactory for DepthLimit {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(DepthLimitExtension)
    }
}

struct DepthLimitExtension;

#[async_graphql::async_trait::async_trait]
impl Extension for DepthLimitExtension {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        match ctx.data_opt::<QueryDepth>() {
            Some(QueryDepth(d)) if *d > MAX_DEPTH => Err(vec![ServerError::new(message(*d), None)]),
            _ => Ok(result),
        }
    }
}

/// graphql-ruby answers a document refused before execution (validation, depth) with
/// `{"errors": [...]}` and no `data` key; async-graphql says `"data": null`. A response
/// whose `data` is null and whose errors all lack a `path` is such a refusal.
pub fn drop_data_of_static_errors(response: &mut Json) {
    let Some(obj) = response.as_object_mut() else {
        return;
    };
    let static_errors = obj
        .get("errors")
        .and_then(Json::as_array)
        .is_some_and(|e| !e.is_empty() && e.iter().all(|e| e.get("path").is_none()));
    if static_errors && obj.get("data").is_some_and(Json::is_null) {
        obj.remove("data");
    }
}
