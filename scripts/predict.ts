// Entry point of `npm run predict`; the command itself lives in scripts/lib/predict-cli.ts.
import { runAsMain } from './lib/cli';
import { runPredict } from './lib/predict-cli';

runAsMain('predict', (argv, io) => runPredict(argv, io.out, io.err));
