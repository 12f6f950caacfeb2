//! The smallest useful robot: it greets each dossier of its queue in the log,
//! keeps a count in its state store (which survives between items and runs),
//! and remembers the last dossier it saw.

use pont_sdk::log::{self, Level};
use pont_sdk::{Failure, Item, Outcome, Robot, Settings, state};

#[derive(Default)]
struct Hello {
    greeting: String,
}

impl Robot for Hello {
    fn init(settings: Settings) -> Result<Self, String> {
        Ok(Self {
            greeting: settings.get_or("greeting", "Bonjour").to_string(),
        })
    }

    fn process(&mut self, item: Item) -> Result<Outcome, Failure> {
        let system = pont_sdk::system("state store");
        let previous = state::get_string("last-dossier").map_err(&system)?;
        let count = state::increment("greeted").map_err(&system)?;
        state::set_string("last-dossier", &item.number.to_string()).map_err(&system)?;
        let number = item.number.to_string();
        let count_text = count.to_string();
        log::log(
            Level::Info,
            &format!("{}, dossier {}!", self.greeting, item.number),
            &[
                ("dossier", number.as_str()),
                ("count", count_text.as_str()),
                ("previous", previous.as_deref().unwrap_or("none")),
            ],
        );
        Ok(Outcome::Done(format!(
            "greeted dossier {} ({count} so far)",
            item.number
        )))
    }
}

pont_sdk::export!(Hello);
