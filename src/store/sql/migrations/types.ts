/** A numbered, frozen schema step. Each dialect carries its own DDL; a step runs in one transaction. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sqlite: string;
}
