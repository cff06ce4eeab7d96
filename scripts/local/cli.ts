// Entry point of `npm run local`; the command itself is scripts/local/local-command.ts.
import { runAsMain } from '../lib/cli';
import { localCommand } from './local-command';

// Exits at once: a kept-serving endpoint's child process and the SDK's sockets are already closed.
runAsMain('npm run local', localCommand, { forceExit: true });
