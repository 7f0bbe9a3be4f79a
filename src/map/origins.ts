import type { SourcePosition } from "./map-error.js";

/**
 * Where each long-form entry and each config field came from in the map files. Entries keep their
 * identity through `extends` and file merges, so a reference checked late still points at the line
 * that wrote it.
 */
export class Origins {
  private readonly entries = new WeakMap<object, SourcePosition>();
  private readonly fields = new WeakMap<object, Map<string, SourcePosition>>();

  /** Records where an entry object was written; returns the entry. */
  entry<T extends object>(value: T, at: SourcePosition): T {
    this.entries.set(value, at);
    return value;
  }

  setField(owner: object, field: string, at: SourcePosition): void {
    let map = this.fields.get(owner);
    if (!map) {
      map = new Map();
      this.fields.set(owner, map);
    }
    map.set(field, at);
  }

  /** Where an entry was written, falling back to its owner's field, then the owner itself. */
  of(value: object | undefined, owner?: object, field?: string): SourcePosition | undefined {
    const direct = value === undefined ? undefined : this.entries.get(value);
    if (direct) return direct;
    if (owner !== undefined && field !== undefined) {
      const fromField = this.fields.get(owner)?.get(field);
      if (fromField) return fromField;
    }
    return owner === undefined ? undefined : this.entries.get(owner);
  }

  field(owner: object, field: string): SourcePosition | undefined {
    return this.fields.get(owner)?.get(field) ?? this.entries.get(owner);
  }

  /** Copies field positions from one config object to another (for merged configs). */
  copyFields(from: object, to: object, only?: Iterable<string>): void {
    const source = this.fields.get(from);
    if (!source) return;
    const keep = only === undefined ? undefined : new Set(only);
    for (const [field, at] of source) {
      // `clients.0` goes with `clients`.
      if (keep === undefined || keep.has(field) || keep.has(field.split(".")[0] as string))
        this.setField(to, field, at);
    }
  }
}
