import { AppError, ServiceUnavailableError } from "@statelab/http";

/** A Redis failure in a session operation is a 503 store_unavailable, never a 500. */
export async function storeOp<T>(operation: Promise<T>): Promise<T> {
  try {
    return await operation;
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new ServiceUnavailableError("store_unavailable", error);
  }
}
