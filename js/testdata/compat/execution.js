// k6/execution: scenario, VU and instance information, the consolidated
// options, and VU-wide tags set from the script.
import http from 'k6/http';
import { check } from 'k6';
import exec from 'k6/execution';

export const options = {
  vus: 2,
  iterations: 4,
  thresholds: { 'http_reqs{tenant:acme}': ['count==4'] },
};

const seen = {};

export default function () {
  check(exec, {
    'scenario name': (e) => e.scenario.name === 'default' && e.scenario.executor === 'shared-iterations',
    'vu id in range': (e) => e.vu.idInTest >= 1 && e.vu.idInTest <= 2 && e.vu.idInInstance === __VU,
    'options visible': (e) => e.test.options.iterations === 4,
    'iterationInTest unique': (e) => {
      const n = e.scenario.iterationInTest;
      const fresh = !seen[n] && n >= 0 && n < 4;
      seen[n] = true;
      return fresh;
    },
    'instance counts': (e) => e.instance.vusInitialized >= 1 && e.instance.currentTestRunDuration >= 0,
  });
  exec.vu.metrics.tags.tenant = 'acme';
  http.get(`${__ENV.BASE_URL}/`);
}
