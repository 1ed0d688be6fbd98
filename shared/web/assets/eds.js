/* Kezek portal: signing with EDS (ЭЦП) through NCALayer, the one script of the portal.
   A form marked data-eds carries the bytes to sign (base64) and NCALayer's address; its
   "sign with EDS" button is shown only here, so without JavaScript the page offers what it can
   without EDS. NCALayer's WebSocket protocol: it greets with {"result":{"version":...}}, then
   answers a kz.gov.pki.knca.commonUtils call with {"code":"200","responseObject":...}. */
(function () {
  'use strict';

  function cades(url, data) {
    return new Promise(function (resolve, reject) {
      var ws;
      try {
        ws = new WebSocket(url);
      } catch (e) {
        reject(e);
        return;
      }
      var greeted = false;
      ws.onerror = function () { reject(new Error('NCALayer unreachable')); };
      ws.onclose = function () { reject(new Error('NCALayer closed')); };
      ws.onmessage = function (message) {
        var answer;
        try {
          answer = JSON.parse(message.data);
        } catch (e) {
          reject(e);
          ws.close();
          return;
        }
        if (!greeted) {
          greeted = true;
          ws.send(JSON.stringify({
            module: 'kz.gov.pki.knca.commonUtils',
            method: 'createCAdESFromBase64',
            args: ['PKCS12', 'SIGNATURE', data, true]
          }));
          return;
        }
        ws.onclose = null;
        ws.close();
        if (answer.code === '200' && answer.responseObject) {
          resolve(answer.responseObject);
        } else {
          reject(new Error(answer.message || String(answer.code)));
        }
      };
    });
  }

  var forms = document.querySelectorAll('form[data-eds]');
  Array.prototype.forEach.call(forms, function (form) {
    var button = form.querySelector('[data-eds-sign]');
    var error = form.querySelector('.eds-error');
    var field = form.querySelector('input[name="signature"]');
    if (!button || !error || !field) {
      return;
    }
    button.hidden = false;
    button.addEventListener('click', function () {
      button.disabled = true;
      error.textContent = '';
      cades(form.getAttribute('data-ncalayer'), form.getAttribute('data-eds')).then(function (cms) {
        field.value = cms;
        form.submit();
      }, function () {
        error.textContent = form.getAttribute('data-eds-error');
        button.disabled = false;
        error.focus();
      });
    });
  });
})();
