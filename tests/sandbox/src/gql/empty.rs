//! Works around async-graphql turning an object with no selected field into `null` (it
//! happens with `champs { ... on PieceJustificativeChamp { files } }` on other champ types).
//! DS returns `{}` there, and `null` would break typed clients on a non-null `Champ!`.
//! We add an aliased `__typename` to every composite selection set and strip it afterwards.

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, Field, Selection, SelectionSet,
};
use async_graphql::{Name, Pos, Positioned};

/// Response key of the injected field; removed from every response.
pub const KEY: &str = "pontSandboxTypename";

fn typename_field() -> Positioned<Selection> {
    let pos = Pos::default();
    Positioned::new(
        Selection::Field(Positioned::new(
            Field {
                alias: Some(Positioned::new(Name::new(KEY), pos)),
                name: Positioned::new(Name::new("__typename"), pos),
                arguments: Vec::new(),
                directives: Vec::new(),
                selection_set: Positioned::new(SelectionSet::default(), pos),
            },
            pos,
        )),
        pos,
    )
}

fn walk(set: &mut SelectionSet, depth: usize) {
    if depth > 64 {
        return;
    }
    for item in set.items.iter_mut() {
        match &mut item.node {
            Selection::Field(f) => {
                let sub = &mut f.node.selection_set.node;
                if !sub.items.is_empty() {
                    walk(sub, depth + 1);
                    sub.items.push(typename_field());
                }
            }
            Selection::InlineFragment(f) => walk(&mut f.node.selection_set.node, depth + 1),
            Selection::FragmentSpread(_) => {}
        }
    }
}

/// Adds the aliased `__typename` under every field that has a selection set.
pub fn guard(doc: &mut ExecutableDocument) {
    match &mut doc.operations {
        DocumentOperations::Single(op) => walk(&mut op.node.selection_set.node, 0),
        DocumentOperations::Multiple(ops) => {
            for op in ops.values_mut() {
                walk(&mut op.node.selection_set.node, 0);
            }
        }
    }
    for frag in doc.fragments.values_mut() {
        walk(&mut frag.node.selection_set.node, 0);
    }
}

/// Removes the injected key everywhere in a JSON response (bounded depth).
pub fn strip(v: &mut serde_json::Value, depth: usize) {
    if depth > 256 {
        return;
    }
    match v {
        serde_json::Value::Object(map) => {
            map.remove(KEY);
            for x in map.values_mut() {
                strip(x, depth + 1);
            }
        }
        serde_json::Value::Array(items) => {
            for x in items.iter_mut() {
                strip(x, depth + 1);
            }
        }
        _ => {}
    }
}
