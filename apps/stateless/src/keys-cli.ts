/**
 * npm run keys -w apps/stateless -- list | rotate | retire <kid>
 * Every running instance re-reads the file once a second (and at once for a token
 * whose kid it does not know), so a rotation or a retirement reaches them all
 * within about a second, no restart needed. Old kids keep verifying until retired.
 */
import { loadStatelessConfig } from "./config.js";
import { listKeys, loadKeySet, retireKey, rotateKeys } from "./tokens/keys.js";

const config = loadStatelessConfig();
const [command, kid] = process.argv.slice(2);
try {
  if (command === "rotate") rotateKeys(config.keyDir, config.jwtAlg);
  else if (command === "retire" && kid) retireKey(config.keyDir, kid);
  else if (command === "list" || command === undefined) loadKeySet(config.keyDir, config.jwtAlg);
  else throw new Error("usage: npm run keys -w apps/stateless -- list | rotate | retire <kid>");
  console.table(listKeys(config.keyDir));
} catch (error) {
  console.error(`keys: ${(error as Error).message}`);
  process.exit(1);
}
