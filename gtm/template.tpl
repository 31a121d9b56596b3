___TERMS_OF_SERVICE___

By creating or modifying this file you agree to Google Tag Manager's Community
Template Gallery Developer Terms of Service available at
https://developers.google.com/tag-manager/gallery-tos (or such other URL as
Google may provide), as modified from time to time.


___INFO___

{
  "type": "TAG",
  "id": "cvt_temp_public_id",
  "version": 1,
  "securityGroups": [],
  "displayName": "Pinterest Conversions API (gateway)",
  "categories": [
    "ADVERTISING",
    "CONVERSIONS"
  ],
  "brand": {
    "id": "pinterest_capi_gateway",
    "displayName": "Pinterest CAPI gateway"
  },
  "description": "Sends the event to your Pinterest Conversions API gateway (a Cloud Function), which maps, hashes and delivers it; optionally fires Pinterest's tag pixel with the same event_id and keeps the _epik click id cookie.",
  "containerContexts": [
    "SERVER"
  ]
}


___TEMPLATE_PARAMETERS___

[
  {
    "type": "TEXT",
    "name": "gatewayUrl",
    "displayName": "Gateway URL",
    "simpleValueType": true,
    "valueValidators": [
      {
        "type": "NON_EMPTY"
      },
      {
        "type": "REGEX",
        "args": [
          "^(https://[^\\s/?#]+|http://(127\\.0\\.0\\.1|localhost)(:[0-9]+)?)(/\\S*)?$"
        ],
        "errorMessage": "An https:// URL (http:// only to 127.0.0.1 or localhost)."
      }
    ],
    "help": "The URL of the deployed function (terraform output <code>function_url</code>). Its host must be allowed in the template's Permissions tab: <code>*.run.app</code> and <code>*.cloudfunctions.net</code> are; add a custom domain there."
  },
  {
    "type": "TEXT",
    "name": "callerKey",
    "displayName": "Caller API key",
    "simpleValueType": true,
    "valueValidators": [
      {
        "type": "NON_EMPTY"
      },
      {
        "type": "REGEX",
        "args": [
          "^(\\{\\{.+\\}\\}|[!-~]{16,})$"
        ],
        "errorMessage": "At least 16 visible ASCII characters, or a variable."
      }
    ],
    "help": "One of the gateway's caller keys (GATEWAY_API_KEYS_SECRET). Pick a variable (for example a Constant) rather than typing the key. Sent as <code>Authorization: Bearer …</code>."
  },
  {
    "type": "RADIO",
    "name": "eventNameSetup",
    "displayName": "Event Name Setup Method",
    "defaultValue": "inherit",
    "radioItems": [
      {
        "value": "inherit",
        "displayValue": "Inherit from client",
        "help": "The GA4 name is mapped (purchase → checkout, page_view → page_visit, …); anything else is custom."
      },
      {
        "value": "standard",
        "displayValue": "Standard",
        "subParams": [
          {
            "type": "SELECT",
            "name": "standardEventName",
            "displayName": "Event Name",
            "macrosInSelect": true,
            "defaultValue": "checkout",
            "selectItems": [
              {
                "value": "add_payment_info",
                "displayValue": "add_payment_info"
              },
              {
                "value": "add_to_cart",
                "displayValue": "add_to_cart"
              },
              {
                "value": "add_to_wishlist",
                "displayValue": "add_to_wishlist"
              },
              {
                "value": "app_install",
                "displayValue": "app_install"
              },
              {
                "value": "app_open",
                "displayValue": "app_open"
              },
              {
                "value": "checkout",
                "displayValue": "checkout"
              },
              {
                "value": "contact",
                "displayValue": "contact"
              },
              {
                "value": "custom",
                "displayValue": "custom"
              },
              {
                "value": "customize_product",
                "displayValue": "customize_product"
              },
              {
                "value": "find_location",
                "displayValue": "find_location"
              },
              {
                "value": "initiate_checkout",
                "displayValue": "initiate_checkout"
              },
              {
                "value": "lead",
                "displayValue": "lead"
              },
              {
                "value": "page_visit",
                "displayValue": "page_visit"
              },
              {
                "value": "schedule",
                "displayValue": "schedule"
              },
              {
                "value": "search",
                "displayValue": "search"
              },
              {
                "value": "signup",
                "displayValue": "signup"
              },
              {
                "value": "start_trial",
                "displayValue": "start_trial"
              },
              {
                "value": "submit_application",
                "displayValue": "submit_application"
              },
              {
                "value": "subscribe",
                "displayValue": "subscribe"
              },
              {
                "value": "view_category",
                "displayValue": "view_category"
              },
              {
                "value": "view_content",
                "displayValue": "view_content"
              },
              {
                "value": "watch_video",
                "displayValue": "watch_video"
              }
            ],
            "valueValidators": [
              {
                "type": "NON_EMPTY"
              }
            ]
          }
        ]
      },
      {
        "value": "custom",
        "displayValue": "Custom",
        "subParams": [
          {
            "type": "TEXT",
            "name": "customEventName",
            "displayName": "Event Name",
            "simpleValueType": true,
            "valueValidators": [
              {
                "type": "NON_EMPTY"
              },
              {
                "type": "REGEX",
                "args": [
                  "^([A-Za-z0-9_-]{1,100}|\\{\\{.+\\}\\})$"
                ],
                "errorMessage": "1-100 letters, digits, '_' or '-'."
              }
            ]
          }
        ]
      }
    ],
    "simpleValueType": true
  },
  {
    "type": "SELECT",
    "name": "actionSource",
    "displayName": "Action Source",
    "macrosInSelect": true,
    "defaultValue": "web",
    "selectItems": [
      {
        "value": "web",
        "displayValue": "web"
      },
      {
        "value": "offline",
        "displayValue": "offline"
      },
      {
        "value": "app_ios",
        "displayValue": "app_ios"
      },
      {
        "value": "app_android",
        "displayValue": "app_android"
      }
    ],
    "simpleValueType": true
  },
  {
    "type": "TEXT",
    "name": "adAccountId",
    "displayName": "Ad Account ID (optional)",
    "simpleValueType": true,
    "valueValidators": [
      {
        "type": "REGEX",
        "args": [
          "^([0-9]{1,18}|\\{\\{.+\\}\\})?$"
        ],
        "errorMessage": "Digits only, 18 at most."
      }
    ],
    "help": "Leave empty for the deployment's PINTEREST_AD_ACCOUNT_ID; another must be one of PINTEREST_AD_ACCOUNT_IDS (else 403)."
  },
  {
    "type": "CHECKBOX",
    "name": "testMode",
    "checkboxText": "Test mode",
    "simpleValueType": true,
    "help": "Pinterest validates the events but does not record them. No pixel is fired in test mode."
  },
  {
    "type": "SELECT",
    "name": "delivery",
    "displayName": "Delivery",
    "macrosInSelect": false,
    "defaultValue": "",
    "selectItems": [
      {
        "value": "",
        "displayValue": "The deployment's (PINTEREST_DELIVERY)"
      },
      {
        "value": "awaited",
        "displayValue": "Awaited: answer with Pinterest's result"
      },
      {
        "value": "optimistic",
        "displayValue": "Optimistic: answer 202 at once, send in batches"
      },
      {
        "value": "pubsub",
        "displayValue": "Pub/Sub queue (when the deployment has one)"
      }
    ],
    "simpleValueType": true
  },
  {
    "type": "CHECKBOX",
    "name": "useOptimisticScenario",
    "checkboxText": "Use Optimistic Scenario",
    "simpleValueType": true,
    "help": "The tag calls gtmOnSuccess at once, without waiting for the gateway. The pixel and the _epik cookie may then come too late for the client's response."
  },
  {
    "type": "GROUP",
    "name": "serverEventDataGroup",
    "displayName": "Server Event Data",
    "groupStyle": "ZIPPY_CLOSED",
    "subParams": [
      {
        "type": "SIMPLE_TABLE",
        "name": "serverEventDataList",
        "displayName": "Server Event Data",
        "simpleTableColumns": [
          {
            "defaultValue": "",
            "displayName": "Property Name",
            "name": "name",
            "type": "SELECT",
            "macrosInSelect": false,
            "selectItems": [
              {
                "value": "event_time",
                "displayValue": "event_time"
              },
              {
                "value": "event_id",
                "displayValue": "event_id"
              },
              {
                "value": "event_source_url",
                "displayValue": "event_source_url"
              },
              {
                "value": "opt_out",
                "displayValue": "opt_out"
              },
              {
                "value": "language",
                "displayValue": "language"
              },
              {
                "value": "app_id",
                "displayValue": "app_id"
              },
              {
                "value": "app_name",
                "displayValue": "app_name"
              },
              {
                "value": "app_version",
                "displayValue": "app_version"
              },
              {
                "value": "device_brand",
                "displayValue": "device_brand"
              },
              {
                "value": "device_carrier",
                "displayValue": "device_carrier"
              },
              {
                "value": "device_model",
                "displayValue": "device_model"
              },
              {
                "value": "device_type",
                "displayValue": "device_type"
              },
              {
                "value": "os_version",
                "displayValue": "os_version"
              },
              {
                "value": "wifi",
                "displayValue": "wifi"
              }
            ],
            "isUnique": true
          },
          {
            "defaultValue": "",
            "displayName": "Property Value",
            "name": "value",
            "type": "TEXT"
          }
        ],
        "newRowButtonText": "Add property",
        "help": "Sent as pinterest.server_event_data.*: replaces the value mapped from the event."
      }
    ]
  },
  {
    "type": "GROUP",
    "name": "userDataGroup",
    "displayName": "User Data",
    "groupStyle": "ZIPPY_CLOSED",
    "subParams": [
      {
        "type": "SIMPLE_TABLE",
        "name": "userDataList",
        "displayName": "User Data",
        "simpleTableColumns": [
          {
            "defaultValue": "",
            "displayName": "Property Name",
            "name": "name",
            "type": "SELECT",
            "macrosInSelect": false,
            "selectItems": [
              {
                "value": "em",
                "displayValue": "em"
              },
              {
                "value": "ph",
                "displayValue": "ph"
              },
              {
                "value": "fn",
                "displayValue": "fn"
              },
              {
                "value": "ln",
                "displayValue": "ln"
              },
              {
                "value": "ge",
                "displayValue": "ge"
              },
              {
                "value": "db",
                "displayValue": "db"
              },
              {
                "value": "ct",
                "displayValue": "ct"
              },
              {
                "value": "st",
                "displayValue": "st"
              },
              {
                "value": "zp",
                "displayValue": "zp"
              },
              {
                "value": "country",
                "displayValue": "country"
              },
              {
                "value": "external_id",
                "displayValue": "external_id"
              },
              {
                "value": "hashed_maids",
                "displayValue": "hashed_maids"
              },
              {
                "value": "client_ip_address",
                "displayValue": "client_ip_address"
              },
              {
                "value": "client_user_agent",
                "displayValue": "client_user_agent"
              },
              {
                "value": "click_id",
                "displayValue": "click_id"
              },
              {
                "value": "partner_id",
                "displayValue": "partner_id"
              }
            ],
            "isUnique": true
          },
          {
            "defaultValue": "",
            "displayName": "Property Value",
            "name": "value",
            "type": "TEXT"
          }
        ],
        "newRowButtonText": "Add property",
        "help": "Sent as pinterest.user_data.*, in the clear: the gateway normalizes and hashes it."
      }
    ]
  },
  {
    "type": "GROUP",
    "name": "customDataGroup",
    "displayName": "Custom Data",
    "groupStyle": "ZIPPY_CLOSED",
    "subParams": [
      {
        "type": "SIMPLE_TABLE",
        "name": "customDataList",
        "displayName": "Custom Data",
        "simpleTableColumns": [
          {
            "defaultValue": "",
            "displayName": "Property Name",
            "name": "name",
            "type": "SELECT",
            "macrosInSelect": false,
            "selectItems": [
              {
                "value": "currency",
                "displayValue": "currency"
              },
              {
                "value": "value",
                "displayValue": "value"
              },
              {
                "value": "contents",
                "displayValue": "contents"
              },
              {
                "value": "content_ids",
                "displayValue": "content_ids"
              },
              {
                "value": "num_items",
                "displayValue": "num_items"
              },
              {
                "value": "order_id",
                "displayValue": "order_id"
              },
              {
                "value": "search_string",
                "displayValue": "search_string"
              },
              {
                "value": "content_name",
                "displayValue": "content_name"
              },
              {
                "value": "content_category",
                "displayValue": "content_category"
              },
              {
                "value": "content_brand",
                "displayValue": "content_brand"
              },
              {
                "value": "opt_out_type",
                "displayValue": "opt_out_type"
              },
              {
                "value": "predicted_ltv",
                "displayValue": "predicted_ltv"
              }
            ],
            "isUnique": true
          },
          {
            "defaultValue": "",
            "displayName": "Property Value",
            "name": "value",
            "type": "TEXT"
          }
        ],
        "newRowButtonText": "Add property",
        "help": "Sent as pinterest.custom_data.*: replaces the value mapped from the event."
      }
    ]
  },
  {
    "type": "GROUP",
    "name": "consentGroup",
    "displayName": "Consent Settings",
    "groupStyle": "ZIPPY_CLOSED",
    "subParams": [
      {
        "type": "RADIO",
        "name": "consent",
        "displayName": "Send data",
        "defaultValue": "optional",
        "radioItems": [
          {
            "value": "optional",
            "displayValue": "Always"
          },
          {
            "value": "required",
            "displayValue": "Only when ad_storage is granted",
            "help": "Read from consent_state.ad_storage, else the GA4 consent string (x-ga-gcs)."
          }
        ],
        "simpleValueType": true
      }
    ]
  },
  {
    "type": "GROUP",
    "name": "browserGroup",
    "displayName": "Browser",
    "groupStyle": "ZIPPY_CLOSED",
    "subParams": [
      {
        "type": "CHECKBOX",
        "name": "sendPixel",
        "checkboxText": "Send pixel request",
        "simpleValueType": true,
        "help": "After the gateway takes the event, the visitor's browser loads Pinterest's tag pixel with the same event_id, so Pinterest deduplicates the two. Remove the client-side Pinterest tag when this is on."
      },
      {
        "type": "TEXT",
        "name": "pixelTagId",
        "displayName": "Pinterest Tag ID",
        "simpleValueType": true,
        "enablingConditions": [
          {
            "paramName": "sendPixel",
            "paramValue": true,
            "type": "EQUALS"
          }
        ],
        "valueValidators": [
          {
            "type": "NON_EMPTY"
          },
          {
            "type": "REGEX",
            "args": [
              "^([0-9]{1,20}|\\{\\{.+\\}\\})$"
            ],
            "errorMessage": "Digits only."
          }
        ]
      },
      {
        "type": "CHECKBOX",
        "name": "setClickIdCookie",
        "checkboxText": "Set the _epik click id cookie",
        "simpleValueType": true,
        "defaultValue": true,
        "help": "When the event carries Pinterest's click id (the epik URL parameter), it is kept for a year in the first-party _epik cookie, so the visitor's later events carry it too."
      }
    ]
  },
  {
    "type": "GROUP",
    "name": "advancedGroup",
    "displayName": "Logs and timeout",
    "groupStyle": "ZIPPY_CLOSED",
    "subParams": [
      {
        "type": "RADIO",
        "name": "logType",
        "displayName": "Log to console",
        "defaultValue": "debug",
        "radioItems": [
          {
            "value": "no",
            "displayValue": "Do not log"
          },
          {
            "value": "debug",
            "displayValue": "Log during debug and preview"
          },
          {
            "value": "always",
            "displayValue": "Always log"
          }
        ],
        "simpleValueType": true
      },
      {
        "type": "TEXT",
        "name": "requestTimeoutMs",
        "displayName": "Request timeout (milliseconds)",
        "simpleValueType": true,
        "defaultValue": "8000",
        "valueValidators": [
          {
            "type": "POSITIVE_NUMBER"
          },
          {
            "type": "REGEX",
            "args": [
              "^[0-9]{1,6}$"
            ]
          }
        ],
        "help": "Above the gateway's PINTEREST_AWAIT_DEADLINE_S (5 s by default)."
      }
    ]
  }
]


___SANDBOXED_JS_FOR_SERVER___

// Pinterest Conversions API gateway tag: posts the event to the gateway, which names, hashes, builds
// and sends it; this code only forwards settings and acts on the answer (pixel, _epik cookie).
const getAllEventData = require('getAllEventData');
const getContainerVersion = require('getContainerVersion');
const getCookieValues = require('getCookieValues');
const getType = require('getType');
const JSON = require('JSON');
const logToConsole = require('logToConsole');
const makeInteger = require('makeInteger');
const makeTableMap = require('makeTableMap');
const sendHttpRequest = require('sendHttpRequest');
const sendPixelFromBrowser = require('sendPixelFromBrowser');
const setCookie = require('setCookie');

const CLICK_ID_COOKIE = '_epik';
const ONE_YEAR_S = 31536000;
const PIXEL_PREFIX = 'https://ct.pinterest.com/v3/';
const DEFAULT_TIMEOUT_MS = 8000;

const eventData = getAllEventData();
const logging = wantsLogs();
const storedClickId = getCookieValues(CLICK_ID_COOKIE)[0];
const settings = requestSettings();
const body = {};
for (let key in eventData) {
  body[key] = eventData[key];
}
if (storedClickId && !body._epik) {
  body._epik = storedClickId; // the gateway reads it after the page URL's epik parameter
}
body.pinterest = settings;

log('Request', {
  EventName: eventData.event_name,
  RequestUrl: data.gatewayUrl,
  Settings: namesOnly(settings)
});

if (data.useOptimisticScenario) {
  data.gtmOnSuccess();
}

sendHttpRequest(data.gatewayUrl, {
  method: 'POST',
  headers: {'Content-Type': 'application/json', 'Authorization': 'Bearer ' + data.callerKey},
  timeout: makeInteger(data.requestTimeoutMs) || DEFAULT_TIMEOUT_MS
}, JSON.stringify(body)).then(onAnswer, onNoAnswer);

function onAnswer(response) {
  const answer = JSON.parse(response.body || '');
  const events = answer && getType(answer.events) === 'array' ? answer.events : [];
  events.forEach(passToBrowser);
  log('Response', {
    ResponseStatusCode: response.statusCode,
    Status: answer ? answer.status : undefined,
    Events: events.map(summary)
  });
  finish(response.statusCode >= 200 && response.statusCode < 300);
}

function onNoAnswer(error) {
  log('Response', {ResponseStatusCode: 0, Error: error && error.reason});
  finish(false);
}

function finish(success) {
  if (data.useOptimisticScenario) {
    return;
  }
  if (success) {
    data.gtmOnSuccess();
  } else {
    data.gtmOnFailure();
  }
}

function passToBrowser(entry) {
  const pixel = entry.pixel_url;
  if (data.sendPixel && getType(pixel) === 'string' && pixel.indexOf(PIXEL_PREFIX) === 0) {
    sendPixelFromBrowser(pixel);
  }
  const clickId = entry.click_id;
  if (data.setClickIdCookie && getType(clickId) === 'string' && clickId && clickId !== storedClickId) {
    setCookie(CLICK_ID_COOKIE, clickId, {
      domain: 'auto',
      path: '/',
      'max-age': ONE_YEAR_S,
      secure: true,
      samesite: 'Lax'
    });
  }
}

function requestSettings() {
  const found = {
    event_name_setup: data.eventNameSetup,
    action_source: data.actionSource,
    consent: data.consent
  };
  if (data.eventNameSetup === 'standard') {
    found.event_name = data.standardEventName;
  }
  if (data.eventNameSetup === 'custom') {
    found.event_name = data.customEventName;
  }
  if (data.adAccountId) {
    found.ad_account_id = data.adAccountId;
  }
  if (data.testMode) {
    found.test = true;
  }
  if (data.delivery) {
    found.delivery = data.delivery;
  }
  if (logging) {
    found.debug = true; // the gateway logs this request too (LOG_CONSOLE=debug)
  }
  if (data.sendPixel) {
    found.pixel_tag_id = data.pixelTagId;
  }
  if (data.setClickIdCookie) {
    found.report_click_id = true;
  }
  addTable(found, 'server_event_data', data.serverEventDataList);
  addTable(found, 'user_data', data.userDataList);
  addTable(found, 'custom_data', data.customDataList);
  return found;
}

function addTable(found, section, rows) {
  const values = makeTableMap(rows || [], 'name', 'value');
  for (let key in values) {
    found[section] = values;
    return;
  }
}

// Console lines name the settings a request carries; the values of the tables may be personal data.
function namesOnly(found) {
  const names = {};
  for (let key in found) {
    names[key] = getType(found[key]) === 'object' ? keysOf(found[key]) : found[key];
  }
  return names;
}

function keysOf(object) {
  const keys = [];
  for (let key in object) {
    keys.push(key);
  }
  return keys;
}

function summary(entry) {
  return {
    event_id: entry.event_id,
    event_name: entry.event_name,
    status: entry.status,
    error: entry.error || entry.reason,
    pixel: !!entry.pixel_url,
    click_id: !!entry.click_id
  };
}

function log(type, fields) {
  if (!logging) {
    return;
  }
  const line = {Name: 'Pinterest CAPI gateway', Type: type};
  for (let key in fields) {
    line[key] = fields[key];
  }
  logToConsole(JSON.stringify(line));
}

function wantsLogs() {
  if (data.logType === 'always') {
    return true;
  }
  if (data.logType !== 'debug') {
    return false;
  }
  const container = getContainerVersion();
  return !!(container.debugMode || container.previewMode);
}


___SERVER_PERMISSIONS___

[
  {
    "instance": {
      "key": {
        "publicId": "read_event_data",
        "versionId": "1"
      },
      "param": [
        {
          "key": "eventDataAccess",
          "value": {
            "type": 1,
            "string": "any"
          }
        }
      ]
    },
    "clientAnnotations": {
      "isEditedByUser": true
    },
    "isRequired": true
  },
  {
    "instance": {
      "key": {
        "publicId": "read_container_data",
        "versionId": "1"
      },
      "param": []
    },
    "clientAnnotations": {
      "isEditedByUser": true
    },
    "isRequired": true
  },
  {
    "instance": {
      "key": {
        "publicId": "get_cookies",
        "versionId": "1"
      },
      "param": [
        {
          "key": "cookieAccess",
          "value": {
            "type": 1,
            "string": "specific"
          }
        },
        {
          "key": "cookieNames",
          "value": {
            "type": 2,
            "listItem": [
              {
                "type": 1,
                "string": "_epik"
              }
            ]
          }
        }
      ]
    },
    "clientAnnotations": {
      "isEditedByUser": true
    },
    "isRequired": true
  },
  {
    "instance": {
      "key": {
        "publicId": "logging",
        "versionId": "1"
      },
      "param": [
        {
          "key": "environments",
          "value": {
            "type": 1,
            "string": "all"
          }
        }
      ]
    },
    "clientAnnotations": {
      "isEditedByUser": true
    },
    "isRequired": true
  },
  {
    "instance": {
      "key": {
        "publicId": "send_http",
        "versionId": "1"
      },
      "param": [
        {
          "key": "allowedUrls",
          "value": {
            "type": 1,
            "string": "specific"
          }
        },
        {
          "key": "urls",
          "value": {
            "type": 2,
            "listItem": [
              {
                "type": 1,
                "string": "https://*.run.app/*"
              },
              {
                "type": 1,
                "string": "https://*.cloudfunctions.net/*"
              }
            ]
          }
        }
      ]
    },
    "clientAnnotations": {
      "isEditedByUser": true
    },
    "isRequired": true
  },
  {
    "instance": {
      "key": {
        "publicId": "send_pixel_from_browser",
        "versionId": "1"
      },
      "param": [
        {
          "key": "allowedUrls",
          "value": {
            "type": 1,
            "string": "specific"
          }
        },
        {
          "key": "urls",
          "value": {
            "type": 2,
            "listItem": [
              {
                "type": 1,
                "string": "https://ct.pinterest.com/v3/*"
              }
            ]
          }
        }
      ]
    },
    "clientAnnotations": {
      "isEditedByUser": true
    },
    "isRequired": true
  },
  {
    "instance": {
      "key": {
        "publicId": "set_cookies",
        "versionId": "1"
      },
      "param": [
        {
          "key": "allowedCookies",
          "value": {
            "type": 2,
            "listItem": [
              {
                "type": 3,
                "mapKey": [
                  {
                    "type": 1,
                    "string": "name"
                  },
                  {
                    "type": 1,
                    "string": "domain"
                  },
                  {
                    "type": 1,
                    "string": "path"
                  },
                  {
                    "type": 1,
                    "string": "secure"
                  },
                  {
                    "type": 1,
                    "string": "session"
                  }
                ],
                "mapValue": [
                  {
                    "type": 1,
                    "string": "_epik"
                  },
                  {
                    "type": 1,
                    "string": "*"
                  },
                  {
                    "type": 1,
                    "string": "/"
                  },
                  {
                    "type": 1,
                    "string": "any"
                  },
                  {
                    "type": 1,
                    "string": "any"
                  }
                ]
              }
            ]
          }
        }
      ]
    },
    "clientAnnotations": {
      "isEditedByUser": true
    },
    "isRequired": true
  }
]


___TESTS___

scenarios:
- name: A sent purchase posts the event and its settings, fires the pixel, sets _epik and succeeds
  code: |-
    let posted;
    mock('sendHttpRequest', function(url, options, requestBody) {
      posted = {url: url, options: options, body: JSON.parse(requestBody)};
      return answering(200, {status: 'sent', events: [{event_id: 'A-1001', event_name: 'checkout',
        status: 'sent', pixel_url: PIXEL, click_id: 'dj0yJnU9abc'}]});
    });
    runCode(mockData);
    assertThat(posted.url).isEqualTo('https://gateway.example.com/');
    assertThat(posted.options.method).isEqualTo('POST');
    assertThat(posted.options.timeout).isEqualTo(3000);
    assertThat(posted.options.headers.Authorization).isEqualTo('Bearer ' + KEY);
    assertThat(posted.body.event_name).isEqualTo('purchase');
    assertThat(posted.body.user_data.email_address).isEqualTo('jane@example.com');
    assertThat(posted.body.pinterest).isEqualTo({event_name_setup: 'inherit', action_source: 'web',
      consent: 'required', pixel_tag_id: '2612345678901', report_click_id: true,
      user_data: {external_id: 'C-42'}, custom_data: {content_category: 'shirts'}});
    assertApi('sendPixelFromBrowser').wasCalledWith(PIXEL);
    assertApi('setCookie').wasCalledWith('_epik', 'dj0yJnU9abc', {domain: 'auto', path: '/',
      'max-age': 31536000, secure: true, samesite: 'Lax'});
    assertApi('gtmOnSuccess').wasCalled();
    assertApi('gtmOnFailure').wasNotCalled();
- name: Every status outside 2xx fails the tag and passes nothing to the browser
  code: |-
    [400, 401, 422, 502].forEach(function(status) {
      mock('sendHttpRequest', function() {
        return answering(status, {status: 'invalid', events: [{event_id: 'A-1001', status: 'invalid'}]});
      });
      runCode(mockData);
    });
    assertApi('gtmOnFailure').wasCalled();
    assertApi('gtmOnSuccess').wasNotCalled();
    assertApi('sendPixelFromBrowser').wasNotCalled();
    assertApi('setCookie').wasNotCalled();
- name: A request without an answer (timed out) fails the tag
  code: |-
    mock('sendHttpRequest', function() {
      return Promise.create(function(resolve, reject) { reject({reason: 'timed_out'}); });
    });
    runCode(mockData);
    assertApi('gtmOnFailure').wasCalled();
    assertApi('gtmOnSuccess').wasNotCalled();
- name: The optimistic scenario succeeds before the gateway answers, and not twice
  code: |-
    mockData.useOptimisticScenario = true;
    mock('sendHttpRequest', function() {
      return answering(502, {status: 'failed', events: []});
    });
    runCode(mockData);
    assertApi('gtmOnSuccess').wasCalled();
    assertApi('gtmOnFailure').wasNotCalled();
- name: A click id the cookie already holds is not set again, and is sent with the event
  code: |-
    let posted;
    mock('getCookieValues', function(name) { return name === '_epik' ? ['dj0yJnU9abc'] : []; });
    mock('sendHttpRequest', function(url, options, requestBody) {
      posted = JSON.parse(requestBody);
      return answering(200, {status: 'sent', events: [{event_id: 'A-1001', status: 'sent',
        click_id: 'dj0yJnU9abc'}]});
    });
    runCode(mockData);
    assertThat(posted._epik).isEqualTo('dj0yJnU9abc');
    assertApi('setCookie').wasNotCalled();
    assertApi('gtmOnSuccess').wasCalled();
- name: Console lines follow the logging setting and never hold the caller key or user data
  code: |-
    const lines = [];
    mock('logToConsole', function(line) { lines.push(line); });
    mock('sendHttpRequest', function() {
      return answering(200, {status: 'sent', events: [{event_id: 'A-1001', status: 'sent', pixel_url: PIXEL}]});
    });
    mockData.logType = 'no';
    runCode(mockData);
    assertThat(lines.length).isEqualTo(0);
    mockData.logType = 'always';
    runCode(mockData);
    assertThat(lines.length).isEqualTo(2);
    lines.forEach(function(line) {
      assertThat(line.indexOf(KEY)).isEqualTo(-1);
      assertThat(line.indexOf('jane@example.com')).isEqualTo(-1);
      assertThat(line.indexOf('C-42')).isEqualTo(-1);
    });
    mockData.logType = 'debug';
    mock('getContainerVersion', {debugMode: false, previewMode: false});
    runCode(mockData);
    assertThat(lines.length).isEqualTo(2);
    mock('getContainerVersion', {debugMode: false, previewMode: true});
    runCode(mockData);
    assertThat(lines.length).isEqualTo(4);
- name: A standard or custom name and the other switches become their pinterest keys
  code: |-
    let sent = [];
    mock('sendHttpRequest', function(url, options, requestBody) {
      sent.push(JSON.parse(requestBody).pinterest);
      return answering(202, {status: 'queued', events: []});
    });
    mockData.eventNameSetup = 'standard';
    mockData.standardEventName = 'lead';
    mockData.adAccountId = '549000000042';
    mockData.testMode = true;
    mockData.delivery = 'optimistic';
    mockData.sendPixel = false;
    mockData.setClickIdCookie = false;
    runCode(mockData);
    mockData.eventNameSetup = 'custom';
    mockData.customEventName = 'quiz_done';
    runCode(mockData);
    assertThat(sent[0].event_name).isEqualTo('lead');
    assertThat(sent[0].ad_account_id).isEqualTo('549000000042');
    assertThat(sent[0].test).isTrue();
    assertThat(sent[0].delivery).isEqualTo('optimistic');
    assertThat(sent[0].pixel_tag_id).isUndefined();
    assertThat(sent[0].report_click_id).isUndefined();
    assertThat(sent[1].event_name).isEqualTo('quiz_done');
    assertApi('gtmOnSuccess').wasCalled();
setup: |-
  const JSON = require('JSON');
  const Promise = require('Promise');
  const KEY = 'caller-key-0123456789abcdef';
  const PIXEL = 'https://ct.pinterest.com/v3/?event=checkout&tid=2612345678901&ed[event_id]=A-1001';
  const mockData = {
    gatewayUrl: 'https://gateway.example.com/',
    callerKey: KEY,
    eventNameSetup: 'inherit',
    actionSource: 'web',
    consent: 'required',
    delivery: '',
    testMode: false,
    useOptimisticScenario: false,
    userDataList: [{name: 'external_id', value: 'C-42'}],
    customDataList: [{name: 'content_category', value: 'shirts'}],
    sendPixel: true,
    pixelTagId: '2612345678901',
    setClickIdCookie: true,
    logType: 'no',
    requestTimeoutMs: '3000'
  };
  mock('getAllEventData', {event_name: 'purchase', transaction_id: 'A-1001', value: 59.97, currency: 'USD',
    page_location: 'https://shop.example.com/thanks?epik=dj0yJnU9abc',
    user_data: {email_address: 'jane@example.com'}});
  function answering(statusCode, answer) {
    return Promise.create(function(resolve) {
      resolve({statusCode: statusCode, headers: {}, body: JSON.stringify(answer)});
    });
  }


___NOTES___

Source: gtm/template.tpl of the Pinterest Conversions API gateway. The rules (names, hashing, pixel URL) live in the gateway; this tag forwards settings and acts on the answer. Tested by tests/gtm (make test).


