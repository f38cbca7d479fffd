/**
 * Back-office tours fail on the first error dialog (Access Error, RPC error, warning).
 *
 * Odoo's tour runner fails a test on any console error; an error the web client shows in
 * a dialog is not always logged. ``guarded`` watches the page for such a dialog from the
 * first step (a MutationObserver logging it as a console error, which fails the test at
 * once, whatever step is running) and checks after every step that none is open.
 */

const ERROR_DIALOG = ".o_error_dialog";

function watchErrorDialogs() {
    if (window.__wispErrorDialogWatch) {
        return;
    }
    const report = (node) => {
        const dialog = node.closest?.(".modal") || node;
        console.error(`Error dialog in a back-office tour: ${dialog.textContent.trim()}`);
    };
    window.__wispErrorDialogWatch = new MutationObserver((mutations) => {
        for (const mutation of mutations) {
            for (const node of mutation.addedNodes) {
                if (node.nodeType !== Node.ELEMENT_NODE) {
                    continue;
                }
                const found = node.matches(ERROR_DIALOG) ? node : node.querySelector(ERROR_DIALOG);
                if (found) {
                    report(found);
                }
            }
        }
    });
    window.__wispErrorDialogWatch.observe(document.body, { childList: true, subtree: true });
}

const NO_ERROR_DIALOG = {
    content: "No error dialog is open",
    trigger: `body:not(:has(${ERROR_DIALOG}))`,
};

/** ``steps`` preceded by the error-dialog watch and each followed by the check. */
export function guarded(steps) {
    return [
        {
            content: "Watch for error dialogs",
            trigger: "body",
            run: watchErrorDialogs,
        },
        NO_ERROR_DIALOG,
        ...steps.flatMap((step) => [step, NO_ERROR_DIALOG]),
    ];
}

/** Steps opening ``item`` of the ``section`` dropdown of the app's top menu. */
export function openMenu(section, item) {
    return [
        {
            content: `Open the ${section} menu`,
            trigger: `.o_menu_sections .dropdown-toggle:contains('${section}')`,
            run: "click",
        },
        {
            content: `Open ${item}`,
            trigger: `.o-dropdown--menu .dropdown-item:contains('${item}')`,
            run: "click",
        },
    ];
}
