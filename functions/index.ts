// The function app's entry: registrations only (functions/registrations.ts lists them, one file per
// trigger). The local host (sandbox/functions-host.ts) serves the same list without the runtime.
import { app, output } from '@azure/functions';
import { buildRegistrations } from './registrations.ts';

// Request bodies arrive as a stream (host 4.28+), so a body over the limit is refused as soon as it
// passes it (functions/http.ts readBody) instead of after the host buffered all of it.
app.setup({ enableHttpStream: true });

for (const registration of buildRegistrations(process.env)) {
  switch (registration.kind) {
    case 'http':
      app.http(registration.name, {
        route: registration.route,
        methods: registration.methods,
        authLevel: 'anonymous',
        handler: registration.handler,
        extraOutputs: registration.extraOutputs.map((binding) =>
          output.storageQueue({ queueName: binding.queueName, connection: binding.connection }),
        ),
      });
      break;
    case 'timer':
      app.timer(registration.name, { schedule: registration.schedule, handler: registration.handler });
      break;
    case 'queue':
      app.storageQueue(registration.name, {
        queueName: registration.queueName,
        connection: registration.connection,
        handler: registration.handler,
      });
      break;
  }
}
