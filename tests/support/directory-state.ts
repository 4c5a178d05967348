import type { DirectoryState } from '../../src/directory/state.js';

/** A directory with nothing stored: what validateReferences sees before the first import. */
export function emptyDirectoryState(): DirectoryState {
  return {
    regions: new Map(),
    departments: new Map(),
    people: new Map(),
    enterprises: new Map(),
    roles: [],
    codeOf: { region: new Map(), department: new Map(), person: new Map(), enterprise: new Map() },
  };
}
