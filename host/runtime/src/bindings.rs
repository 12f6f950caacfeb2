//! Host bindings generated from `wit/` (the only source of the WIT package).

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "pont:robot/robot",
    imports: { default: async | trappable },
    exports: { default: async },
    with: {
        "pont:robot/types.blob": crate::blob::BlobEntry,
        "pont:robot/files.mount": crate::capabilities::files::MountHandle,
        "pont:robot/sheets.workbook": crate::capabilities::sheets::WorkbookHandle,
        "pont:robot/browser.session": crate::capabilities::browser::SessionHandle,
        "pont:robot/browser.element": crate::capabilities::browser::ElementHandle,
    },
});
