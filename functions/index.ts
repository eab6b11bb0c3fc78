// The function app's entry: registrations only. Each trigger lives in its own file.
import { app } from '@azure/functions';
import { statusHandler } from './status.ts';

app.http('status', { route: 'status', methods: ['GET'], authLevel: 'anonymous', handler: statusHandler });
