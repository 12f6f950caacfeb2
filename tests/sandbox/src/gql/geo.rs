//! Geography: `GeoJSON` (with DS's free-form `Coordinates` scalar), the `GeoArea` interface
//! of carte champs and its two concrete types.

use async_graphql::{ID, InputValueResult, Interface, Object, Scalar, ScalarType, Value};

use super::enums::GeoAreaSource;
use crate::model::{GeoAreaRecord, GeoSource, Parcelle};
use crate::util::global_id;

/// `Coordinates`: nested arrays of numbers, passed through as JSON.
#[derive(Debug, Clone)]
pub struct Coordinates(pub serde_json::Value);

#[Scalar(name = "Coordinates")]
impl ScalarType for Coordinates {
    fn parse(value: Value) -> InputValueResult<Self> {
        Ok(Coordinates(value.into_json().unwrap_or_default()))
    }
    fn to_value(&self) -> Value {
        Value::from_json(self.0.clone()).unwrap_or(Value::Null)
    }
}

/// `GeoJSON`: a geometry's type and coordinates.
pub struct GeoJson(pub serde_json::Value);

#[Object(name = "GeoJSON")]
impl GeoJson {
    #[graphql(name = "type")]
    async fn kind(&self) -> String {
        self.0["type"].as_str().unwrap_or("Point").to_owned()
    }
    async fn coordinates(&self) -> Coordinates {
        Coordinates(self.0["coordinates"].clone())
    }
}

/// A point geometry.
pub fn point(lon: f64, lat: f64) -> GeoJson {
    GeoJson(serde_json::json!({ "type": "Point", "coordinates": [lon, lat] }))
}

fn source(s: GeoSource) -> GeoAreaSource {
    match s {
        GeoSource::Cadastre => GeoAreaSource::Cadastre,
        GeoSource::SelectionUtilisateur => GeoAreaSource::SelectionUtilisateur,
    }
}

/// `SelectionUtilisateur`: an area the usager drew.
pub struct SelectionUtilisateur(pub GeoAreaRecord);

#[Object]
impl SelectionUtilisateur {
    async fn id(&self) -> ID {
        ID(global_id("GeoArea", self.0.id))
    }
    async fn source(&self) -> GeoAreaSource {
        source(self.0.source)
    }
    async fn geometry(&self) -> GeoJson {
        GeoJson(self.0.geometry.clone())
    }
    async fn description(&self) -> Option<String> {
        self.0.description.clone()
    }
}

/// `ParcelleCadastrale`, with DS's deprecated fields still served.
pub struct ParcelleCadastrale(pub GeoAreaRecord, pub Parcelle);

#[Object]
impl ParcelleCadastrale {
    async fn id(&self) -> ID {
        ID(global_id("GeoArea", self.0.id))
    }
    async fn source(&self) -> GeoAreaSource {
        source(self.0.source)
    }
    async fn geometry(&self) -> GeoJson {
        GeoJson(self.0.geometry.clone())
    }
    async fn description(&self) -> Option<String> {
        self.0.description.clone()
    }
    async fn numero(&self) -> String {
        self.1.numero.clone()
    }
    async fn section(&self) -> String {
        self.1.section.clone()
    }
    async fn surface(&self) -> String {
        format!("{}", self.1.surface)
    }
    async fn prefixe(&self) -> String {
        self.1.prefixe.clone()
    }
    async fn commune(&self) -> String {
        self.1.commune.clone()
    }
    #[graphql(deprecation = "Utilisez le champ `commune` à la place.")]
    async fn code_dep(&self) -> String {
        self.1.commune.chars().take(2).collect()
    }
    #[graphql(deprecation = "Utilisez le champ `commune` à la place.")]
    async fn nom_com(&self) -> String {
        self.1.nom_commune.clone()
    }
    #[graphql(deprecation = "Utilisez le champ `commune` à la place.")]
    async fn code_com(&self) -> String {
        self.1.commune.chars().skip(2).collect()
    }
    #[graphql(deprecation = "Utilisez le champ `prefixe` à la place.")]
    async fn code_arr(&self) -> String {
        self.1.prefixe.clone()
    }
    #[graphql(deprecation = "L’information n’est plus disponible.")]
    async fn feuille(&self) -> i32 {
        1
    }
    #[graphql(deprecation = "L’information n’est plus disponible.")]
    async fn surface_intersection(&self) -> f64 {
        self.1.surface
    }
    #[graphql(deprecation = "Utilisez le champ `surface` à la place.")]
    async fn surface_parcelle(&self) -> f64 {
        self.1.surface
    }
}

/// `interface GeoArea`.
#[derive(Interface)]
#[graphql(
    field(name = "id", ty = "ID"),
    field(name = "source", ty = "GeoAreaSource"),
    field(name = "geometry", ty = "GeoJson"),
    field(name = "description", ty = "Option<String>")
)]
pub enum GeoArea {
    ParcelleCadastrale(ParcelleCadastrale),
    SelectionUtilisateur(SelectionUtilisateur),
}

impl From<&GeoAreaRecord> for GeoArea {
    fn from(g: &GeoAreaRecord) -> Self {
        match &g.parcelle {
            Some(p) => GeoArea::ParcelleCadastrale(ParcelleCadastrale(g.clone(), p.clone())),
            None => GeoArea::SelectionUtilisateur(SelectionUtilisateur(g.clone())),
        }
    }
}
