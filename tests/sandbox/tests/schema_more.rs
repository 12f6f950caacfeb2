//! The parts of DS's schema beyond what the robots read: the catalogue démarche's champ
//! types, `groupeInstructeur(number)`, `demarcheDescriptor`, exports, the deprecated `order:`
//! argument, and the dossier, legacy-annotation and administrateur mutations, each checked
//! from outside as a DS client sees them.

mod common;

use common::{RO, RW, small};
use pont_sandbox::util::global_id;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalogue_serves_every_champ_type_with_data() {
    let env = small().await;
    let q = "{ demarche(number: 107) { dossiers { nodes { demandeur { __typename } champs { __typename stringValue
        ... on CarteChamp { geoAreas { __typename source geometry { type coordinates }
            ... on ParcelleCadastrale { commune section numero surface } } }
        ... on EpciChamp { epci { code name } departement { code } }
        ... on RNAChamp { rna { id title address { cityName } } }
        ... on RNFChamp { rnf { id } }
        ... on TitreIdentiteChamp { filled grantType }
        ... on EngagementJuridiqueChamp { engagementJuridique { montantEngage } }
        ... on DossierLinkChamp { dossier { number } }
        ... on IntegerNumberChamp { value } } } } } }";
    let d = env.data(RW, q, json!({})).await;
    let nodes = d["demarche"]["dossiers"]["nodes"]
        .as_array()
        .unwrap()
        .clone();
    let champs: Vec<Value> = nodes
        .iter()
        .flat_map(|n| n["champs"].as_array().unwrap().clone())
        .collect();
    // The first champ of a type that has data.
    let of = |t: &str| {
        champs
            .iter()
            .find(|c| c["__typename"] == t && !c["stringValue"].is_null())
            .cloned()
    };
    assert!(
        nodes
            .iter()
            .any(|n| n["demandeur"]["__typename"] == "PersonneMoraleIncomplete")
    );
    let carte = of("CarteChamp").expect("carte champ");
    let areas = carte["geoAreas"].as_array().unwrap();
    assert!(areas.iter().any(|a| a["__typename"] == "ParcelleCadastrale"
        && a["source"] == "cadastre"
        && a["section"].is_string()));
    assert!(areas.iter().any(|a| a["source"] == "selection_utilisateur"
        && a["geometry"]["type"] == "Polygon"
        && a["geometry"]["coordinates"][0].as_array().unwrap().len() == 5));
    assert!(of("EpciChamp").unwrap()["epci"]["code"].is_string());
    assert!(
        of("RNAChamp").unwrap()["rna"]["id"]
            .as_str()
            .unwrap()
            .starts_with('W')
    );
    assert!(of("RNFChamp").is_some());
    assert_eq!(
        of("TitreIdentiteChamp").unwrap()["grantType"],
        "piece_justificative"
    );
    let ej = of("EngagementJuridiqueChamp").unwrap();
    assert_eq!(
        ej["engagementJuridique"]["montantEngage"],
        "NotYetImplemented"
    );
    assert_eq!(ej["stringValue"].as_str().unwrap().len(), 10);
    let link = of("DossierLinkChamp").unwrap();
    assert!(link["dossier"]["number"].as_i64().unwrap() / 100_000 == 101);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chorus_paiement_ej_is_an_engagement_juridique_champ() {
    let env = small().await;
    let q = "{ dossier(number: 10300001) { champs { __typename label stringValue } }
        demarche(number: 103) { activeRevision { champDescriptors { __typename label type } } } }";
    let d = env.data(RW, q, json!({})).await;
    let ej = d["dossier"]["champs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["label"] == "Numéro d’engagement juridique")
        .cloned()
        .unwrap();
    assert_eq!(ej["__typename"], "EngagementJuridiqueChamp");
    assert!(ej["stringValue"].as_str().unwrap().starts_with("21"));
    let desc = d["demarche"]["activeRevision"]["champDescriptors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["label"] == "Numéro d’engagement juridique")
        .cloned()
        .unwrap();
    assert_eq!(desc["__typename"], "EngagementJuridiqueChampDescriptor");
    assert_eq!(desc["type"], "engagement_juridique");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groupe_instructeur_lists_only_its_dossiers_and_order_desc_reverses() {
    let env = small().await;
    let q = "{ groupeInstructeur(number: 1012) { label instructeurs { email }
        dossiers { nodes { number groupeInstructeur { number } } } } }";
    let d = env.data(RW, q, json!({})).await;
    let nodes = d["groupeInstructeur"]["dossiers"]["nodes"]
        .as_array()
        .unwrap();
    assert!(!nodes.is_empty());
    assert!(
        nodes
            .iter()
            .all(|n| n["groupeInstructeur"]["number"] == 1012)
    );
    let (_, b) = env
        .gql(
            "sandbox-rw-101",
            "{ groupeInstructeur(number: 1021) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(b["errors"][0]["extensions"]["code"], "unauthorized", "{b}");
    let (_, b) = env
        .gql(RW, "{ groupeInstructeur(number: 7) { id } }", json!({}))
        .await;
    assert_eq!(
        b["errors"][0]["message"],
        "GroupeInstructeurWithDossiers not found"
    );
    let page = |order: &'static str| {
        let q = format!(
            "{{ demarche(number: 101) {{ dossiers(first: 3, order: {order}) {{ nodes {{ number }} pageInfo {{ hasNextPage }} }} }} }}"
        );
        let env = &env;
        async move { env.data(RW, &q, json!({})).await["demarche"]["dossiers"].clone() }
    };
    let (asc, desc) = (page("ASC").await, page("DESC").await);
    assert_eq!(asc["nodes"][0]["number"], 10100001);
    assert_eq!(desc["nodes"][0]["number"], 10100012);
    assert_eq!(desc["pageInfo"]["hasNextPage"], true);
    let (_, b) = env
        .gql(
            RW,
            "{ demarche(number: 101) { dossiers(last: 2, order: DESC) { nodes { number } } } }",
            json!({}),
        )
        .await;
    assert_eq!(b["errors"][0]["extensions"]["code"], "bad_request", "{b}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demarche_descriptor_and_exports() {
    let env = small().await;
    let q = "query($d: FindDemarcheInput!) { demarcheDescriptor(demarche: $d) { number title
        demarcheURL dureeConservationDossiers service { nom typeOrganisme } revision { id } } }";
    let d = env
        .data(RW, q, json!({ "d": { "id": global_id("Procedure", 105) } }))
        .await;
    assert_eq!(d["demarcheDescriptor"]["number"], 105);
    assert_eq!(
        d["demarcheDescriptor"]["service"]["typeOrganisme"],
        "service_deconcentre_de_l_etat"
    );
    let (_, b) = env
        .gql("sandbox-rw-101", q, json!({ "d": { "number": 105 } }))
        .await;
    assert_eq!(b["errors"][0]["extensions"]["code"], "unauthorized", "{b}");
    let d = env
        .data("sandbox-rw-101", q, json!({ "d": { "number": 107 } }))
        .await;
    assert_eq!(d["demarcheDescriptor"]["number"], 107, "opendata");
    let q = "{ dossier(number: 10700001) { pdf { url byteSizeBigInt checksum virusScanResult } geojson { url } } }";
    let d = env.data(RW, q, json!({})).await;
    let pdf = &d["dossier"]["pdf"];
    assert_eq!(
        (pdf["byteSizeBigInt"].as_str(), pdf["checksum"].as_str()),
        (Some("0"), Some(""))
    );
    assert_eq!(pdf["virusScanResult"], "pending");
    let r = env
        .http
        .get(pdf["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.bytes().await.unwrap().starts_with(b"%PDF"));
    let r = env
        .http
        .get(d["dossier"]["geojson"]["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let fc: Value = r.json().await.unwrap();
    assert_eq!(fc["type"], "FeatureCollection");
    assert!(!fc["features"].as_array().unwrap().is_empty());
    let forged = format!("{}/api/v2/dossiers/pdf/Zm9v", env.sb.base_url());
    assert_eq!(
        env.http.get(forged).send().await.unwrap().status().as_u16(),
        401
    );
}

const DESARCHIVER: &str = "mutation($i: DossierDesarchiverInput!) { dossierDesarchiver(input: $i) { dossier { archived } errors { message } } }";
const SUIVI: &str = "mutation($i: DossierBasculeSuiviInput!) { dossierBasculeSuivi(input: $i) { dossier { instructeurs { id } } instructeur { id } errors { message } } }";
const CHANGER: &str = "mutation($i: DossierChangerGroupeInstructeurInput!) { dossierChangerGroupeInstructeur(input: $i) { dossier { groupeInstructeur { number } } errors { message } } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn desarchiver_suivi_and_changer_groupe() {
    let env = small().await;
    let (id, instr, _, _) = env.dossier_ids(10100001).await;
    let input = json!({ "i": { "dossierId": id, "instructeurId": instr } });
    // Whether or not the seeded dossier was archived, a second call finds it unarchived.
    env.data(RW, DESARCHIVER, input.clone()).await;
    let d = env.data(RW, DESARCHIVER, input).await;
    assert_eq!(
        d["dossierDesarchiver"]["errors"][0]["message"],
        "Un dossier non archivé ne peut pas être désarchivé"
    );
    let d = env
        .data(
            RO,
            DESARCHIVER,
            json!({ "i": { "dossierId": id, "instructeurId": instr } }),
        )
        .await;
    assert_eq!(
        d["dossierDesarchiver"]["errors"][0]["message"],
        "Le jeton utilisé est configuré seulement en lecture"
    );
    let follow = |f: bool| json!({ "i": { "dossierId": id, "instructeurId": instr, "follow": f } });
    let d = env.data(RW, SUIVI, follow(true)).await;
    let followers = d["dossierBasculeSuivi"]["dossier"]["instructeurs"]
        .as_array()
        .unwrap()
        .clone();
    assert!(followers.iter().any(|p| p["id"] == instr.as_str()));
    let d = env.data(RW, SUIVI, follow(false)).await;
    let followers = d["dossierBasculeSuivi"]["dossier"]["instructeurs"]
        .as_array()
        .unwrap()
        .clone();
    assert!(followers.iter().all(|p| p["id"] != instr.as_str()));
    let g2 = global_id("GroupeInstructeur", 1012);
    let d = env
        .data(
            RW,
            CHANGER,
            json!({ "i": { "dossierId": id, "groupeInstructeurId": g2 } }),
        )
        .await;
    assert_eq!(
        d["dossierChangerGroupeInstructeur"]["dossier"]["groupeInstructeur"]["number"],
        1012
    );
    let d = env
        .data(
            RW,
            CHANGER,
            json!({ "i": { "dossierId": id, "groupeInstructeurId": g2 } }),
        )
        .await;
    assert_eq!(
        d["dossierChangerGroupeInstructeur"]["errors"][0]["message"],
        "Le dossier est déjà avec le groupe instructeur: 'Service instructeur 2'"
    );
    let other = global_id("GroupeInstructeur", 1021);
    let d = env
        .data(
            RW,
            CHANGER,
            json!({ "i": { "dossierId": id, "groupeInstructeurId": other } }),
        )
        .await;
    let m = d["dossierChangerGroupeInstructeur"]["errors"][0]["message"]
        .as_str()
        .unwrap();
    assert!(m.contains("n’appartient pas à la même démarche"), "{m}");
    let ops: Vec<String> = env
        .log()
        .await
        .iter()
        .map(|e| e["operation"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        ops.iter()
            .filter(|o| *o == "dossierChangerGroupeInstructeur")
            .count(),
        3
    );
    assert_eq!(ops.iter().filter(|o| *o == "dossierDesarchiver").count(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supprimer_message_and_legacy_annotation() {
    let env = small().await;
    let (id, instr, other, _) = env.dossier_ids(10100003).await;
    let send = "mutation($i: DossierEnvoyerMessageInput!) { dossierEnvoyerMessage(input: $i) { message { id } } }";
    let d = env
        .data(
            RW,
            send,
            json!({ "i": { "dossierId": id, "instructeurId": instr, "body": "À supprimer" } }),
        )
        .await;
    let mid = d["dossierEnvoyerMessage"]["message"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let del = "mutation($i: DossierSupprimerMessageInput!) { dossierSupprimerMessage(input: $i) { message { body discardedAt } errors { message } } }";
    let d = env
        .data(
            RW,
            del,
            json!({ "i": { "messageId": mid, "instructeurId": other } }),
        )
        .await;
    assert_eq!(
        d["dossierSupprimerMessage"]["errors"][0]["message"],
        "Le message ne peut pas être supprimé"
    );
    let d = env
        .data(
            RW,
            del,
            json!({ "i": { "messageId": mid, "instructeurId": instr } }),
        )
        .await;
    assert_eq!(d["dossierSupprimerMessage"]["message"]["body"], "");
    assert!(d["dossierSupprimerMessage"]["message"]["discardedAt"].is_string());
    let text = "mutation($i: DossierModifierAnnotationTextInput!) { dossierModifierAnnotationText(input: $i) { annotation { id stringValue } errors { message } } }";
    let ej = global_id("Champ", 101_501);
    let d = env.data(RW, text, json!({ "i": { "dossierId": id, "instructeurId": instr, "annotationId": ej, "value": "2100000042" } })).await;
    assert_eq!(
        d["dossierModifierAnnotationText"]["annotation"]["stringValue"],
        "2100000042"
    );
    let checkbox = global_id("Champ", 101_502);
    let d = env.data(RW, text, json!({ "i": { "dossierId": id, "instructeurId": instr, "annotationId": checkbox, "value": "x" } })).await;
    assert_eq!(
        d["dossierModifierAnnotationText"]["errors"][0]["message"],
        format!("L’annotation \"{checkbox}\" n’existe pas")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groupe_instructeur_admin_mutations_and_cloner() {
    let env = small().await;
    let creer = "mutation($i: GroupeInstructeurCreerInput!) { groupeInstructeurCreer(input: $i) { groupeInstructeur { id number label instructeurs { email } } errors { message } warnings { message } } }";
    let i = json!({ "i": { "demarche": { "number": 104 }, "groupeInstructeur": { "label": "Renfort", "instructeurs": [{ "email": "nouvelle.agente@sandbox.gouv.fr" }, { "email": "pas-une-adresse" }] } } });
    let d = env.data(RW, creer, i.clone()).await;
    let g = d["groupeInstructeurCreer"]["groupeInstructeur"].clone();
    assert_eq!(
        g["instructeurs"][0]["email"],
        "nouvelle.agente@sandbox.gouv.fr"
    );
    assert_eq!(
        d["groupeInstructeurCreer"]["warnings"][0]["message"],
        "pas-une-adresse n’est pas une adresse électronique valide"
    );
    let d = env.data(RW, creer, i).await;
    assert_eq!(
        d["groupeInstructeurCreer"]["errors"][0]["message"],
        "Le libellé n’est pas disponible"
    );
    let d = env
        .data(
            RW,
            &format!(
                "{{ groupeInstructeur(number: {}) {{ label }} }}",
                g["number"]
            ),
            json!({}),
        )
        .await;
    assert_eq!(d["groupeInstructeur"]["label"], "Renfort");
    let modifier = "mutation($i: GroupeInstructeurModifierInput!) { groupeInstructeurModifier(input: $i) { groupeInstructeur { closed } errors { message } } }";
    let default = global_id("GroupeInstructeur", 1041);
    let d = env
        .data(
            RW,
            modifier,
            json!({ "i": { "groupeInstructeurId": default, "closed": true } }),
        )
        .await;
    assert_eq!(
        d["groupeInstructeurModifier"]["errors"][0]["message"],
        "Il est impossible de désactiver le groupe d’instructeurs par défaut."
    );
    let supprimer = "mutation($i: GroupeInstructeurSupprimerInstructeursInput!) { groupeInstructeurSupprimerInstructeurs(input: $i) { groupeInstructeur { instructeurs { email } } } }";
    let d = env.data(RW, supprimer, json!({ "i": { "groupeInstructeurId": g["id"], "instructeurs": [{ "email": "nouvelle.agente@sandbox.gouv.fr" }] } })).await;
    assert_eq!(
        d["groupeInstructeurSupprimerInstructeurs"]["groupeInstructeur"]["instructeurs"],
        json!([])
    );
    let cloner = "mutation($i: DemarcheClonerInput!) { demarcheCloner(input: $i) { demarche { number title state } errors { message } } }";
    let d = env
        .data(
            RW,
            cloner,
            json!({ "i": { "demarche": { "number": 105 }, "title": "Copie" } }),
        )
        .await;
    let n = d["demarcheCloner"]["demarche"]["number"].as_i64().unwrap();
    assert_eq!(
        (
            d["demarcheCloner"]["demarche"]["title"].as_str(),
            d["demarcheCloner"]["demarche"]["state"].as_str()
        ),
        (Some("Copie"), Some("brouillon"))
    );
    let d = env.data(RW, &format!("{{ demarche(number: {n}) {{ dossiers {{ nodes {{ number }} }} activeRevision {{ champDescriptors {{ id }} }} }} }}"), json!({})).await;
    assert_eq!(d["demarche"]["dossiers"]["nodes"], json!([]));
    assert!(
        !d["demarche"]["activeRevision"]["champDescriptors"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let d = env
        .data(
            "sandbox-rw-101",
            cloner,
            json!({ "i": { "demarche": { "number": 105 } } }),
        )
        .await;
    assert_eq!(
        d["demarcheCloner"]["errors"][0]["message"],
        "La démarche \"105\" ne peut pas être clonée."
    );
}
