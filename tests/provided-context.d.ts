// What tests/global-setup.ts provides to every test file through inject().
import "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    redisUrl: string;
  }
}
