'use strict';
// Mocha's spec output plus the closing line CI reads: `N passed, N failed[, N skipped]`.
const Mocha = require('mocha');

const { EVENT_RUN_END } = Mocha.Runner.constants;

class PassFailReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const { passes, failures, pending } = runner.stats ?? this.stats;
      const skipped = pending ? `, ${pending} skipped` : '';
      process.stdout.write(`\n${passes} passed, ${failures} failed${skipped}\n`);
    });
  }
}

module.exports = PassFailReporter;
