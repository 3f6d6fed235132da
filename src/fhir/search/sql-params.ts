/** Collects query parameters: every value reaches SQL as `$n`, never as text. */
export class SqlParams {
  readonly values: unknown[] = [];
  private aliases = 0;
  add(value: unknown, cast: string): string {
    this.values.push(value);
    return `$${this.values.length}::${cast}`;
  }
  alias(): string {
    this.aliases += 1;
    return `x${this.aliases}`;
  }
}
