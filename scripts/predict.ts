// Entry point of `npm run predict`; the command itself lives in scripts/lib/predict-cli.ts.
import { runPredict } from './lib/predict-cli';

runPredict(process.argv.slice(2), (line) => console.log(line), (line) => console.error(line)).then((code) => {
  process.exitCode = code;
});
