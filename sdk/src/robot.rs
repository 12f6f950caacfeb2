//! The `Robot` trait and the glue the `export!` macro uses.

use std::any::Any;
use std::cell::RefCell;

use crate::{Failure, Item, Outcome, RunSummary, Settings};

/// A robot: what it does with one item. Only `process` is required.
pub trait Robot: Sized + 'static {
    /// Build the robot for one instance from the operator's `[settings]`.
    /// The default needs `Default` and ignores the settings.
    fn init(settings: Settings) -> Result<Self, String>
    where
        Self: Default,
    {
        let _ = settings;
        Ok(Self::default())
    }

    /// Handle one dossier.
    fn process(&mut self, item: Item) -> Result<Outcome, Failure>;

    /// Called once at the end of a run, in an instance of its own.
    fn finish(summary: RunSummary) -> Result<(), String> {
        let _ = summary;
        Ok(())
    }
}

thread_local! {
    static ROBOT: RefCell<Option<Box<dyn Any>>> = const { RefCell::new(None) };
}

/// `init` export: build and keep the robot for this instance.
pub fn init<R: Robot + Default>(settings: Vec<(String, String)>) -> Result<(), String> {
    let robot = R::init(Settings::from(settings))?;
    ROBOT.with(|cell| *cell.borrow_mut() = Some(Box::new(robot)));
    Ok(())
}

/// `process` export: run the kept robot (built with no settings if the host
/// did not call `init`, which the Pont host always does).
pub fn process<R: Robot + Default>(item: Item) -> Result<Outcome, Failure> {
    let mut robot = ROBOT
        .with(|cell| cell.borrow_mut().take())
        .and_then(|b| b.downcast::<R>().ok())
        .map(|b| *b);
    if robot.is_none() {
        robot = Some(R::init(Settings::default()).map_err(Failure::System)?);
    }
    let mut robot = robot.expect("set above");
    let result = robot.process(item);
    ROBOT.with(|cell| *cell.borrow_mut() = Some(Box::new(robot)));
    result
}

/// `finish` export.
pub fn finish<R: Robot>(summary: RunSummary) -> Result<(), String> {
    R::finish(summary)
}

/// Export a type implementing [`Robot`] (and `Default`) as the component's
/// `init`, `process` and `finish`.
#[macro_export]
macro_rules! export {
    ($robot:ty) => {
        const _: () = {
            struct __PontExport;

            impl $crate::bindings::Guest for __PontExport {
                fn init(
                    settings: ::std::vec::Vec<(::std::string::String, ::std::string::String)>,
                ) -> ::std::result::Result<(), ::std::string::String> {
                    $crate::__private::init::<$robot>(settings)
                }

                fn process(
                    item: $crate::Item,
                ) -> ::std::result::Result<$crate::Outcome, $crate::Failure> {
                    $crate::__private::process::<$robot>(item)
                }

                fn finish(
                    summary: $crate::RunSummary,
                ) -> ::std::result::Result<(), ::std::string::String> {
                    $crate::__private::finish::<$robot>(summary)
                }
            }

    $crate::bindings::__export_robot_world!(__PontExport with_types_in $crate::bindings);
        };
    };
}
