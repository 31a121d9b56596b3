'use strict';
// Runs a server-side GTM tag template's sandboxed JavaScript outside GTM, with stand-ins for the
// sandboxed APIs it requires, each checking the permission the template declares as sGTM does.
//
//   node harness.js run TEMPLATE INPUT.json   one tag run against real HTTP; prints what it did
//   node harness.js tests TEMPLATE            the template's own ___TESTS___ scenarios, offline
//
// Node's standard library only. The behaviours follow Google's server-side API reference:
// sendHttpRequest(url, options, body) returns a promise of {statusCode, headers, body}, rejected
// with {reason: 'failed'} or {reason: 'timed_out'} (options.timeout in ms, 15000 by default);
// setCookie(name, value, options, noEncode) URI-encodes the value unless noEncode; getCookieValues
// (name, decode) decodes unless decode is false; JSON.parse answers undefined for text that is no
// JSON; logToConsole writes only in debug and preview unless the logging permission says "all".

const fs = require('fs');
const http = require('http');
const https = require('https');
const path = require('path');
const vm = require('vm');

const APIS = JSON.parse(fs.readFileSync(path.join(__dirname, 'apis.json'), 'utf8'));
// Globals sandboxed JavaScript does not have: each comes from require(), or not at all.
const NOT_IN_SANDBOX = ['JSON', 'Math', 'Date', 'Promise', 'Reflect', 'Proxy', 'eval', 'Function',
  'encodeURIComponent', 'decodeURIComponent', 'encodeURI', 'decodeURI', 'escape', 'unescape',
  'parseInt', 'parseFloat', 'Intl', 'WebAssembly', 'SharedArrayBuffer', 'Atomics', 'globalThis'];

// ---- the template file ----------------------------------------------------------------------

function sections(text) {
  const found = {};
  const parts = text.split(/^___([A-Z_]+)___$/m);
  for (let i = 1; i < parts.length; i += 2) {
    found[parts[i]] = parts[i + 1].replace(/^\n+/, '').replace(/\n+$/, '');
  }
  return found;
}

// The one YAML shape ___TESTS___ takes: scenarios (name, code as a |- block) and a setup block.
function parseTests(text) {
  const lines = text.split('\n');
  const scenarios = [];
  let setup = '';
  let i = 0;
  const block = (indent) => {
    const out = [];
    while (i < lines.length && (lines[i].trim() === '' || lines[i].startsWith(' '.repeat(indent)))) {
      out.push(lines[i].slice(indent));
      i += 1;
    }
    return out.join('\n').replace(/\n+$/, '');
  };
  while (i < lines.length) {
    const line = lines[i];
    i += 1;
    let match;
    if ((match = /^- name: (.*)$/.exec(line))) {
      scenarios.push({name: match[1].trim(), code: ''});
    } else if (/^ {2}code: \|-$/.test(line)) {
      scenarios[scenarios.length - 1].code = block(4);
    } else if (/^setup: \|-$/.test(line)) {
      setup = block(2);
    } else if (!/^scenarios:( \[\])?$/.test(line) && line.trim() !== '') {
      throw new Error('___TESTS___: unexpected line: ' + line);
    }
  }
  return {scenarios, setup};
}

// Permission params as plain values: type 1 string, 2 list, 3 map, 8 boolean.
function plain(value) {
  switch (value.type) {
    case 1: return value.string;
    case 2: return (value.listItem || []).map(plain);
    case 3: {
      const out = {};
      value.mapKey.forEach((key, n) => { out[plain(key)] = plain(value.mapValue[n]); });
      return out;
    }
    case 8: return value.boolean;
    default: throw new Error('unknown permission value type ' + value.type);
  }
}

function permissions(text) {
  const found = {};
  for (const entry of JSON.parse(text)) {
    const params = {};
    for (const param of entry.instance.param) {
      params[param.key] = plain(param.value);
    }
    found[entry.instance.key.publicId] = params;
  }
  return found;
}

function load(templatePath) {
  const parts = sections(fs.readFileSync(templatePath, 'utf8'));
  return {code: parts.SANDBOXED_JS_FOR_SERVER, permissions: permissions(parts.SERVER_PERMISSIONS),
    tests: parseTests(parts.TESTS || '')};
}

// ---- permission checks ----------------------------------------------------------------------

class PermissionError extends Error {}

function deny(permission, what) {
  throw new PermissionError('permission ' + permission + ' does not allow ' + what);
}

// A URL pattern of the permission editor: scheme and host (a leading "*." for any subdomain), an
// optional port (none: the default port only), then a path prefix ending in "*" or matched whole.
function urlMatches(pattern, url) {
  const p = /^(https?):\/\/([^/:]+)(?::(\d+))?(\/.*)?$/.exec(pattern);
  let u;
  try {
    u = new URL(url);
  } catch (error) {
    return false;
  }
  if (!p || u.protocol !== p[1] + ':') {
    return false;
  }
  const host = p[2];
  const hostOk = host.startsWith('*.') ? u.hostname.endsWith(host.slice(1)) && u.hostname.length > host.length - 1
    : u.hostname === host;
  const portOk = (p[3] || '') === u.port;
  const pathPattern = p[4] || '/';
  const pathOk = pathPattern.endsWith('*') ? u.pathname.startsWith(pathPattern.slice(0, -1))
    : u.pathname === pathPattern;
  return hostOk && portOk && pathOk;
}

function checkUrl(perms, permission, url) {
  const params = perms[permission];
  if (!params) {
    deny(permission, url + ' (not declared)');
  }
  if (params.allowedUrls === 'any') {
    return;
  }
  if (params.allowedUrls !== 'specific' || !(params.urls || []).some((pattern) => urlMatches(pattern, url))) {
    deny(permission, url);
  }
}

function need(perms, permission) {
  if (!perms[permission]) {
    deny(permission, '(not declared)');
  }
  return perms[permission];
}

// ---- a promise as sandboxed code sees it: then/catch, settled once ---------------------------

class SandboxPromise {
  constructor(executor) {
    this.state = 'pending';
    this.handlers = [];
    const settle = (state) => (value) => {
      if (this.state !== 'pending') {
        return;
      }
      this.state = state;
      this.value = value;
      this.handlers.splice(0).forEach((handler) => handler());
    };
    executor(settle('fulfilled'), settle('rejected'));
  }

  then(onFulfilled, onRejected) {
    return new SandboxPromise((resolve, reject) => {
      const run = () => {
        const handler = this.state === 'fulfilled' ? onFulfilled : onRejected;
        if (typeof handler !== 'function') {
          (this.state === 'fulfilled' ? resolve : reject)(this.value);
          return;
        }
        resolve(handler(this.value));
      };
      if (this.state === 'pending') {
        this.handlers.push(run);
      } else {
        run();
      }
    });
  }

  catch(onRejected) {
    return this.then(undefined, onRejected);
  }
}

// ---- the stand-ins --------------------------------------------------------------------------

function getType(value) {
  if (value === null) {
    return 'null';
  }
  return Array.isArray(value) ? 'array' : typeof value;
}

function copy(value) {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

// The cookie's Domain for 'auto': the highest domain of the request's host a cookie may be set on
// (the last two labels here: the test hosts have no multi-label public suffix).
function autoDomain(host) {
  const labels = host.split('.');
  return labels.length > 2 ? labels.slice(-2).join('.') : host;
}

function cookieHeader(name, value, options) {
  const parts = [name + '=' + value];
  if (options.domain) {
    parts.push('Domain=' + options.domain);
  }
  if (options.path) {
    parts.push('Path=' + options.path);
  }
  if (options['max-age'] !== undefined) {
    parts.push('Max-Age=' + options['max-age']);
  }
  if (options.expires) {
    parts.push('Expires=' + options.expires);
  }
  if (options.secure) {
    parts.push('Secure');
  }
  if (options.httpOnly) {
    parts.push('HttpOnly');
  }
  if (options.samesite) {
    parts.push('SameSite=' + options.samesite);
  }
  return parts.join('; ');
}

function cookieAllowed(rule, name, options) {
  const session = options['max-age'] === undefined && !options.expires;
  return (rule.name === '*' || rule.name === name)
    && (rule.domain === '*' || rule.domain === options.domain)
    && (rule.path === '*' || rule.path === (options.path || '/'))
    && (rule.secure === 'any' || (rule.secure === 'secure') === !!options.secure)
    && (rule.session === 'any' || (rule.session === 'session') === session);
}

function httpRequest(record, url, options, body) {
  return new SandboxPromise((resolve, reject) => {
    const started = Date.now();
    const timeoutMs = options.timeout === undefined ? 15000 : options.timeout;
    const client = url.startsWith('https:') ? https : http;
    record.pending += 1;
    const done = (settle, value, entry) => {
      if (done.called) {
        return;
      }
      done.called = true;
      clearTimeout(timer);
      record.pending -= 1;
      record.responses.push(Object.assign({afterMs: Date.now() - started}, entry));
      record.timeline.push('response');
      settle(value);
      record.maybeFinish();
    };
    const request = client.request(url, {method: options.method || 'GET', headers: options.headers || {}},
      (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          done(resolve, {statusCode: response.statusCode, headers: response.headers, body: text},
            {statusCode: response.statusCode, body: text});
        });
        response.on('error', () => done(reject, {reason: 'failed'}, {reason: 'failed'}));
      });
    const timer = setTimeout(() => {
      request.destroy();
      done(reject, {reason: 'timed_out'}, {reason: 'timed_out'});
    }, timeoutMs);
    request.on('error', () => done(reject, {reason: 'failed'}, {reason: 'failed'}));
    record.requests.push({url, method: options.method || 'GET', headers: options.headers || {},
      body: body === undefined ? null : body, timeout: timeoutMs});
    if (body !== undefined) {
      request.write(body);
    }
    request.end();
  });
}

// The real stand-ins for one run: `env` is the request and container the tag runs in.
function standIns(perms, env, record) {
  const debugMode = !!(env.container && (env.container.debugMode || env.container.previewMode));
  return {
    getAllEventData() {
      if (need(perms, 'read_event_data').eventDataAccess !== 'any') {
        deny('read_event_data', 'reading all event data');
      }
      return copy(env.event || {});
    },
    getContainerVersion() {
      need(perms, 'read_container_data');
      return Object.assign({containerId: 'GTM-TEST', debugMode: false, environmentName: '',
        environmentMode: false, previewMode: false, version: '1'}, env.container || {});
    },
    getCookieValues(name, decode) {
      const params = need(perms, 'get_cookies');
      if (params.cookieAccess !== 'any' && !(params.cookieNames || []).includes(name)) {
        deny('get_cookies', 'cookie ' + name);
      }
      return (env.cookies || '').split(';').map((pair) => pair.trim()).filter((pair) => pair.startsWith(name + '='))
        .map((pair) => pair.slice(name.length + 1))
        .map((value) => (decode === false ? value : decodeURIComponent(value)));
    },
    getType,
    JSON: {
      parse(text) {
        try {
          return JSON.parse(text);
        } catch (error) {
          return undefined;
        }
      },
      stringify(value) {
        try {
          return JSON.stringify(value);
        } catch (error) {
          return undefined;
        }
      },
    },
    logToConsole(...args) {
      const environments = need(perms, 'logging').environments;
      if (environments === 'all' || debugMode) {
        record.logs.push(args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' '));
      }
    },
    makeInteger(value) {
      return Math.trunc(Number(value));
    },
    makeTableMap(table, keyColumn, valueColumn) {
      if (!Array.isArray(table)) {
        return null;
      }
      const out = {};
      table.forEach((row) => {
        if (row && row[keyColumn] !== undefined) {
          out[row[keyColumn]] = row[valueColumn];
        }
      });
      return out;
    },
    sendHttpRequest(url, options, body) {
      checkUrl(perms, 'send_http', url);
      if (typeof options === 'function') {
        throw new Error('this harness stands in for the promise form of sendHttpRequest only');
      }
      return httpRequest(record, url, copy(options) || {}, body);
    },
    sendPixelFromBrowser(url) {
      checkUrl(perms, 'send_pixel_from_browser', url);
      record.pixels.push(url);
      return true;
    },
    setCookie(name, value, options, noEncode) {
      const opts = copy(options) || {};
      if (opts.domain === 'auto') {
        opts.domain = autoDomain(env.requestHost || 'localhost');
      }
      const rules = need(perms, 'set_cookies').allowedCookies || [];
      if (!rules.some((rule) => cookieAllowed(rule, name, opts))) {
        deny('set_cookies', 'cookie ' + name);
      }
      const stored = noEncode ? String(value) : encodeURIComponent(String(value));
      record.cookies.push({name, value: stored, options: copy(options) || {}, header: cookieHeader(name, stored, opts)});
    },
  };
}

// ---- running the code -----------------------------------------------------------------------

function sandboxContext(extra) {
  const context = vm.createContext(Object.assign({}, extra));
  vm.runInContext(NOT_IN_SANDBOX.filter((name) => !(name in extra)).map((name) => 'delete globalThis.' + name + ';')
    .join('\n'), context);
  return context;
}

function compile(code) {
  const context = sandboxContext({});
  return vm.runInContext('(function (require, data) {\n' + code + '\n})', context, {filename: 'template.tpl'});
}

function requirer(apis, calls) {
  return (name) => {
    if (!(name in APIS.apis)) {
      throw new Error('require(\'' + name + '\'): no such sandboxed API in this harness');
    }
    return wrap(name, apis, calls);
  };
}

// Every call is recorded by API name (JSON's methods as JSON.parse, JSON.stringify).
function wrap(name, apis, calls) {
  const api = apis[name];
  if (typeof api === 'function') {
    return (...args) => {
      (calls[name] = calls[name] || []).push(args);
      return apis[name](...args);
    };
  }
  const out = {};
  for (const key of Object.keys(api)) {
    out[key] = (...args) => {
      (calls[name + '.' + key] = calls[name + '.' + key] || []).push(args);
      return apis[name][key](...args);
    };
  }
  return out;
}

function run(templatePath, inputPath) {
  const template = load(templatePath);
  const input = JSON.parse(fs.readFileSync(inputPath, 'utf8'));
  const perms = template.permissions;
  (input.allowUrls || []).forEach((url) => perms.send_http.urls.push(url)); // as a user edits the permission
  const started = Date.now();
  const record = {requests: [], responses: [], pixels: [], cookies: [], logs: [], timeline: [], pending: 0,
    outcome: null, outcomeAfterMs: null, error: null};
  let printed = false;
  const print = () => {
    if (printed) {
      return;
    }
    printed = true;
    const out = Object.assign({}, record);
    delete out.pending;
    delete out.maybeFinish;
    process.stdout.write(JSON.stringify(out) + '\n');
    process.exit(0);
  };
  record.maybeFinish = () => {
    if (record.outcome && record.pending === 0) {
      print();
    }
  };
  const outcome = (name) => () => {
    record.timeline.push(name);
    if (record.outcome) {
      record.error = record.error || 'the tag ended twice (' + record.outcome + ', then ' + name + ')';
      return;
    }
    record.outcome = name;
    record.outcomeAfterMs = Date.now() - started;
    setImmediate(record.maybeFinish);
  };
  const data = Object.assign({}, input.data, {gtmOnSuccess: outcome('gtmOnSuccess'),
    gtmOnFailure: outcome('gtmOnFailure')});
  const apis = standIns(perms, input, record);
  try {
    compile(template.code)(requirer(apis, {}), data);
  } catch (error) {
    record.error = String(error && error.message);
    record.outcome = record.outcome || 'exception';
    record.maybeFinish();
  }
  setTimeout(print, input.deadlineMs || 20000).unref();
}

// ---- the test API of ___TESTS___: mock, assertApi, assertThat, runCode, fail ------------------

class AssertionFailure extends Error {}

function deepEqual(a, b) {
  if (a === b) {
    return true;
  }
  if (getType(a) !== getType(b) || typeof a !== 'object' || a === null) {
    return false;
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((key) => Object.prototype.hasOwnProperty.call(b, key)
    && deepEqual(a[key], b[key]));
}

function show(value) {
  try {
    return JSON.stringify(value);
  } catch (error) {
    return String(value);
  }
}

function subject(actual, message) {
  const check = (ok, expectation) => {
    if (!ok) {
      throw new AssertionFailure((message ? message + ': ' : '') + 'expected ' + show(actual) + ' ' + expectation);
    }
    return subject(actual, message);
  };
  return {
    isEqualTo: (expected) => check(deepEqual(actual, expected), 'to equal ' + show(expected)),
    isNotEqualTo: (expected) => check(!deepEqual(actual, expected), 'not to equal ' + show(expected)),
    isStrictlyEqualTo: (expected) => check(actual === expected, 'to be ' + show(expected)),
    isTrue: () => check(actual === true, 'to be true'),
    isFalse: () => check(actual === false, 'to be false'),
    isTruthy: () => check(!!actual, 'to be truthy'),
    isFalsy: () => check(!actual, 'to be falsy'),
    isDefined: () => check(actual !== undefined, 'to be defined'),
    isUndefined: () => check(actual === undefined, 'to be undefined'),
    isNull: () => check(actual === null, 'to be null'),
    isNotNull: () => check(actual !== null, 'not to be null'),
    contains: (...items) => check(Array.isArray(actual) && items.every((item) => actual.some((x) => deepEqual(x, item))),
      'to contain ' + show(items)),
  };
}

function runScenario(template, scenario) {
  const calls = {};
  const mocks = {};
  const offline = {requests: [], responses: [], pixels: [], cookies: [], logs: [], timeline: [], pending: 0,
    maybeFinish() {}};
  const real = standIns(template.permissions, {}, offline);
  real.sendHttpRequest = () => {
    throw new Error('sendHttpRequest must be mocked: scenarios run offline');
  };
  const apis = {};
  for (const name of Object.keys(real)) {
    apis[name] = typeof real[name] === 'function' ? (...args) => (name in mocks ? mocks[name](...args) : real[name](...args))
      : real[name];
  }
  const templateFn = compile(template.code);
  const testApi = {
    mock(name, value) {
      if (!(name in APIS.apis)) {
        throw new Error('mock(\'' + name + '\'): no such API');
      }
      mocks[name] = typeof value === 'function' ? value : () => value;
    },
    assertApi(name) {
      const made = () => calls[name] || [];
      const check = (ok, text) => {
        if (!ok) {
          throw new AssertionFailure('expected ' + name + ' ' + text + '; calls: ' + show(made()));
        }
      };
      return {
        wasCalled: () => check(made().length > 0, 'to be called'),
        wasNotCalled: () => check(made().length === 0, 'not to be called'),
        wasCalledWith: (...args) => check(made().some((got) => deepEqual(got, args)), 'to be called with ' + show(args)),
        wasNotCalledWith: (...args) => check(!made().some((got) => deepEqual(got, args)),
          'not to be called with ' + show(args)),
      };
    },
    assertThat: subject,
    fail(message) {
      throw new AssertionFailure(String(message));
    },
    runCode(data) {
      const recorded = (name) => () => {
        (calls[name] = calls[name] || []).push([]);
      };
      templateFn(requirer(apis, calls), Object.assign({}, data, {gtmOnSuccess: recorded('gtmOnSuccess'),
        gtmOnFailure: recorded('gtmOnFailure')}));
    },
    require(name) {
      if (!APIS.test_apis.includes(name)) {
        throw new Error('scenarios may require only ' + APIS.test_apis.join(', '));
      }
      return name === 'Promise' ? {create: (executor) => new SandboxPromise(executor)} : real.JSON;
    },
  };
  const context = sandboxContext(testApi);
  vm.runInContext('(function () {\n' + template.tests.setup + '\n' + scenario.code + '\n})()', context,
    {filename: scenario.name});
}

function tests(templatePath) {
  const template = load(templatePath);
  const results = template.tests.scenarios.map((scenario) => {
    try {
      runScenario(template, scenario);
      return {name: scenario.name, passed: true};
    } catch (error) {
      return {name: scenario.name, passed: false, error: String(error && error.stack)};
    }
  });
  process.stdout.write(JSON.stringify(results) + '\n');
}

const [command, templatePath, inputPath] = process.argv.slice(2);
if (command === 'run') {
  run(templatePath, inputPath);
} else if (command === 'tests') {
  tests(templatePath);
} else {
  process.stderr.write('usage: node harness.js run TEMPLATE INPUT.json | tests TEMPLATE\n');
  process.exit(2);
}
