// Where the platform's unified identity returns after sign-in (OAuth redirect_uri). Inside the
// mini-program's web-view it hands code and state to the mini-program page that completes the
// binding; the mobile app intercepts this address itself. Nothing from the address is written
// into the page: code and state only travel on to the mini-program, URL-encoded.
(function () {
  'use strict';
  var TEXT = {
    'zh-CN': {
      returning: '认证完成，正在返回掌上办…',
      app: '认证完成，请返回掌上办应用继续。',
      failed: '认证未完成，请返回掌上办重新发起。',
    },
  };
  var text = TEXT['zh-CN'];
  var note = document.getElementById('note');
  var params = new URLSearchParams(window.location.search);
  var code = params.get('code');
  var state = params.get('state');
  function say(key) { note.textContent = text[key]; }
  if (!code || !state || params.get('error')) { say('failed'); return; }
  var target = '/pages/bind-return/index?code=' + encodeURIComponent(code) +
    '&state=' + encodeURIComponent(state);
  var sdk = window.wx && window.wx.miniProgram;
  if (!sdk) { say('app'); return; }
  sdk.getEnv(function (env) {
    if (env && env.miniprogram) {
      say('returning');
      sdk.redirectTo({ url: target });
    } else {
      say('app');
    }
  });
})();
