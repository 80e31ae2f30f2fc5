export { CheckFailure } from "./assert.js";
export { allChecks } from "./checks/index.js";
export { type AuthClient, type Credentials, createClient } from "./client.js";
export { loadSigningKeys, type SigningKey } from "./jwt.js";
export { defaultMapping, loadMapping, type Mapping, parseMapping } from "./mapping.js";
export {
  formatJson,
  formatJunit,
  formatTable,
  idWidthOf,
  type Summary,
  summarize,
  summaryLine,
  tableLines,
} from "./report.js";
export { type CheckTarget, createCheckContext, runCheck, runChecks, selectChecks, USERNAME_PREFIX } from "./runner.js";
export { AREAS, type Area, type Check, type CheckContext, type CheckResult, type Kind, SkipError } from "./types.js";
