// The web app this build of the extension belongs to: the one origin the bridge and the popup trust.

export const WEB_URL = __SCRAPEFLOW_WEB_URL__.replace(/\/+$/, "");
export const WEB_ORIGIN = new URL(WEB_URL).origin;
export const EXTENSION_VERSION = __EXTENSION_VERSION__;
