// Errors of the inventory's operations, each with the kind of failure so the API can answer
// with the matching status (bad input, not found, conflict, no capacity, backend trouble).
export type InventoryErrorCode = "BAD_INPUT" | "NOT_FOUND" | "CONFLICT" | "NO_CAPACITY" | "BACKEND";

export class InventoryError extends Error {
  constructor(
    readonly code: InventoryErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "InventoryError";
  }
}
