import { devBanner } from "./banner";
import { startDevStack } from "./stack";

/** `npm run dev`: the broker under wrangler dev, plus the emulator, dev identity and demo. */
const brokerPort = Number(process.env.BROKER_PORT ?? 8787);
const devPort = Number(process.env.DEV_PORT ?? 8788);

const stack = await startDevStack({ brokerPort, devPort, inheritOutput: true }).catch(
  (error: NodeJS.ErrnoException) => {
    console.error(
      error.code === "EADDRINUSE"
        ? `Port ${devPort} is in use (another npm run dev?). Stop it, or set DEV_PORT and BROKER_PORT.`
        : `npm run dev could not start: ${error.message}`,
    );
    process.exit(1);
  },
);
console.log(devBanner(stack));

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    stack.stop().finally(() => process.exit(0));
  });
}
