// The element picker's public API, shared by the web app and the browser extension (pure DOM, no framework).

export {
  absoluteXpath,
  classStability,
  cssSelector,
  evaluateXpath,
  isStableClass,
  isStableId,
  matchCount,
  sampleValue,
  select,
  xpath,
  type Sample,
  type SelectorOptions,
} from "./selectors";
export { fieldSelector, findSimilar, ListSelection, type FieldMatch, type ListMatch } from "./lists";
export { Picker, startPicker, type PickerOptions } from "./overlay";
export {
  BRIDGE_SOURCE,
  BRIDGE_VERSION,
  FRAME_CANCEL,
  FRAME_CONFIRM,
  bridgeMessage,
  parseBridgeEvent,
  parseBridgeMessage,
  randomToken,
  type BridgeExpectation,
  type BridgeMessage,
  type ExtensionPresentMessage,
  type PickedField,
  type PickerResult,
  type PingMessage,
  type SelectionCancelledMessage,
  type SelectionMode,
  type SelectionPreviewMessage,
  type SelectionResultMessage,
  type StartSelectionMessage,
} from "./messages";
