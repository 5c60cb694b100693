/**
 * Bumped on any change a client written against the previous version could not handle.
 * A test pins it, so a change to the wire shape cannot land without a deliberate bump.
 */
export const PROTOCOL_VERSION = 3;
