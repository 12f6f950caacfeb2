//! The third-party web apps, continued: CPS login and instruction, the referential API,
//! casier judiciaire and the delayed contrôle du droit à conduire.

mod common_apps;

use std::time::{Duration, Instant};

use common_apps::*;
use pont_sandbox::{App, AppsConfig};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION};
use serde_json::Value;

#[tokio::test]
async fn cps_login_and_instruction() {
    let env = start().await;
    let r = env
        .http
        .get(env.url(App::Cps, "/instruction"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/connexion");

    let r = env
        .http
        .post(env.url(App::Cps, "/connexion"))
        .form(&[("identifiant", "agent"), ("mot_de_passe", "faux")])
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(session_cookie(&r).is_none());
    assert!(
        r.text()
            .await
            .unwrap_or_default()
            .contains("id=\"erreur-connexion\"")
    );

    let r = env
        .http
        .post(env.url(App::Cps, "/connexion"))
        .form(&[
            ("identifiant", "agent"),
            ("mot_de_passe", "sandbox-cps-secret"),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/instruction");
    let cookie = session_cookie(&r).expect("session cookie");

    let with = |path: &str| {
        env.http
            .get(env.url(App::Cps, path))
            .header(COOKIE, cookie.clone())
    };
    let r = with("/instruction").send().await.expect("list");
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap_or_default();
    assert!(html.contains("id=\"demande-10600001\"") && html.contains("id=\"demande-10600012\""));
    assert!(html.contains("data-testid=\"instruire-10600003\""));
    let html = with("/instruction/10600003")
        .send()
        .await
        .expect("detail")
        .text()
        .await
        .unwrap_or_default();
    assert!(html.contains("id=\"decision\"") && html.contains("<label for=\"commentaire\">"));

    let decide = |form: Vec<(&'static str, &'static str)>, cookie: Option<String>| {
        let mut rq = env
            .http
            .post(env.url(App::Cps, "/instruction/10600003/decision"))
            .form(&form);
        if let Some(c) = cookie {
            rq = rq.header(COOKIE, c);
        }
        rq.send()
    };
    let r = decide(vec![("decision", "accepter"), ("commentaire", "ok")], None)
        .await
        .expect("no session");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = decide(
        vec![("decision", "accepter"), ("commentaire", " ")],
        Some(cookie.clone()),
    )
    .await
    .expect("invalid");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap_or_default()
            .contains("id=\"commentaire-error\"")
    );
    assert!(env.records(App::Cps).await.is_empty());

    let r = decide(
        vec![("decision", "refuser"), ("commentaire", "RPPS inconnu")],
        Some(cookie.clone()),
    )
    .await
    .expect("ok");
    assert_eq!(r.status(), StatusCode::OK);
    let recs = env.records(App::Cps).await;
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0]["form"], "decision");
    assert_eq!(recs[0]["data"]["dossier"], 10600003);
    assert_eq!(recs[0]["data"]["decision"], "refuser");
    assert_eq!(recs[0]["data"]["commentaire"], "RPPS inconnu");
    assert_eq!(recs[0]["data"]["utilisateur"], "agent");
    let html = with("/instruction")
        .send()
        .await
        .expect("list")
        .text()
        .await
        .unwrap_or_default();
    assert!(html.contains("Refusée"));
    env.sb.shutdown().await;
}

#[tokio::test]
async fn referential_api_token() {
    let env = start().await;
    let found = (0..100u64)
        .map(|i| format!("10{:09}", 123_456_000 + i))
        .find(|r| pont_sandbox::apps::referentiel::lookup(r).is_some())
        .expect("some RPPS is known");
    let path = format!("/api/professionnels/{found}");
    let r = env
        .http
        .get(env.url(App::Referentiel, &path))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = env
        .http
        .get(env.url(App::Referentiel, &path))
        .bearer_auth("wrong")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = env
        .http
        .get(env.url(App::Referentiel, &path))
        .bearer_auth("sandbox-referentiel")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["rpps"], found.as_str());
    assert!(v["nom"].is_string() && v["profession"].is_string() && v["actif"].is_boolean());
    let r = env
        .http
        .get(env.url(App::Referentiel, "/api/professionnels/00000000000"))
        .bearer_auth("sandbox-referentiel")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(env.sb.app_requests(App::Referentiel).len(), 4);
    env.sb.shutdown().await;

    let open = start_with(AppsConfig {
        referentiel_token: None,
        ..AppsConfig::default()
    })
    .await;
    let r = open
        .http
        .get(open.url(App::Referentiel, &path))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::OK);
    open.sb.shutdown().await;
}

#[tokio::test]
async fn casier_request() {
    let env = start().await;
    let (s, html) = env
        .post_form(
            App::Casier,
            "/demande",
            &[
                ("nom", "Durand"),
                ("date_naissance", "2999-01-01"),
                ("motif", "carte_vtc"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"prenoms-error\"") && html.contains("dans le passé"));
    assert!(env.records(App::Casier).await.is_empty());
    let form = [
        ("nom", "Durand"),
        ("prenoms", "Léa Marie"),
        ("date_naissance", "12/05/1990"),
        ("lieu_naissance", "Toulouse"),
        ("nationalite", "française"),
        ("motif", "carte_vtc"),
    ];
    let (s, html) = env.post_form(App::Casier, "/demande", &form).await;
    assert_eq!(s, StatusCode::OK);
    let numero = attr_value(&html, "numero-demande");
    let recs = env.records(App::Casier).await;
    assert_eq!(recs[0]["data"]["numero_demande"], numero.as_str());
    assert_eq!(recs[0]["data"]["date_naissance"], "1990-05-12");
    assert_eq!(recs[0]["data"]["prenoms"], "Léa Marie");
    env.sb.shutdown().await;
}

#[tokio::test]
async fn controle_answers_after_the_delay() {
    let env = start().await;
    let (s, html) = env
        .post_form(
            App::Controle,
            "/controle",
            &[("numero_permis", "12AB"), ("nom", "")],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"numero_permis-error\"") && html.contains("id=\"nom-error\""));
    assert!(env.records(App::Controle).await.is_empty());

    let t0 = Instant::now();
    let (s, html) = env
        .post_form(
            App::Controle,
            "/controle",
            &[
                ("numero_permis", "120312345678"),
                ("nom", "Petit"),
                ("date_naissance", "1985-07-01"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert!(html.contains("data-statut=\"en_cours\""));
    let numero = attr_value(&html, "numero-demande");
    assert_eq!(
        env.records(App::Controle).await[0]["data"]["numero_permis"],
        "120312345678"
    );
    let path = format!("/controle/{numero}");
    let (s, html) = env.get(App::Controle, &path).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert!(html.contains("data-statut=\"en_cours\"") && !html.contains("id=\"resultat\""));
    let mut result = None;
    for _ in 0..100 {
        let (s, html) = env.get(App::Controle, &path).await;
        if s == StatusCode::OK {
            result = Some(html);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let html = result.expect("result within 5 s");
    assert!(t0.elapsed() >= Duration::from_millis(400));
    assert!(html.contains("data-resultat=\"valide\""));
    let (s, _) = env.get(App::Controle, "/controle/DAC-999999").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    env.sb.shutdown().await;
}
