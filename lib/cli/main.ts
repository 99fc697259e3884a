#!/usr/bin/env node
import { runCheck } from './check';
import { runExplain } from './explain';
import { schemaSource } from '../policy/schema';

const HELP = `palisade — declared-behaviour policies for the Palisade RASP agent

Usage:
  palisade check [policy...] [--json] [--strict]   validate and lint a policy (exit 0 ok, 1 lint errors, 2 invalid)
  palisade explain --policy P <operation> <resource...> [--package NAME] [--route "GET /x"]
  palisade explain --policy P --event '<event json line>'
                                                   show every rule considered and the decision (exit 0 allow, 1 deny)
  palisade schema                                  print the policy JSON Schema
  palisade <command> --help                        help for one command

The policy file defaults to $PALISADE_POLICY, else ./palisade.yaml. Reference: docs/policy.md`;

function main(argv: string[]): number {
  const out = (s: string): void => void process.stdout.write(s + '\n');
  const err = (s: string): void => void process.stderr.write(s + '\n');
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'check':
      try {
        return runCheck(rest, out);
      } catch (e) {
        err(`palisade check: ${(e as Error).message}`);
        return 2;
      }
    case 'explain':
      return runExplain(rest, out, err);
    case 'schema':
      process.stdout.write(schemaSource());
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      out(HELP);
      return 0;
    default:
      err(`palisade: unknown command "${cmd}"\n\n${HELP}`);
      return 2;
  }
}

process.exitCode = main(process.argv.slice(2));
