// The shared picker module (frontend/src/lib/picker), re-exported so extension code has one import path for it.

export {
  BRIDGE_SOURCE,
  bridgeMessage,
  parseBridgeEvent,
  parseBridgeMessage,
  randomToken,
  startPicker,
  type BridgeMessage,
  type PickedField,
  type Picker,
  type PickerResult,
  type SelectionCancelledMessage,
  type SelectionMode,
  type SelectionResultMessage,
  type StartSelectionMessage,
} from "../../../frontend/src/lib/picker";
