/**
 * npm run keys -w apps/stateless -- list | rotate | retire <kid>
 * Rotation: the new key signs from each instance's next start; an instance not
 * restarted yet re-reads the file when a token carries a kid it does not know,
 * so restarts may come in any order. Old kids keep verifying until retired.
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
