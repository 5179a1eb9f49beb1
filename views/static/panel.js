// Progressive enhancement only: every page works without it.
(function () {
  'use strict';

  // Overview: "select all" and the bulk button follow the row checkboxes.
  var form = document.getElementById('bulk-form');
  if (form) {
    var all = document.getElementById('select-all');
    var apply = document.getElementById('bulk-apply');
    var boxes = function () {
      return form.querySelectorAll('input[name="domains"]');
    };
    var sync = function () {
      var list = boxes();
      var checked = 0;
      for (var i = 0; i < list.length; i++) if (list[i].checked) checked++;
      if (apply) apply.disabled = checked === 0;
      if (all) {
        all.checked = checked > 0 && checked === list.length;
        all.indeterminate = checked > 0 && checked < list.length;
      }
    };
    if (all) {
      all.addEventListener('change', function () {
        var list = boxes();
        for (var i = 0; i < list.length; i++) list[i].checked = all.checked;
        sync();
      });
    }
    form.addEventListener('change', sync);
    sync();
  }

  // A refused form: put the keyboard on the first field that needs fixing.
  var invalid = document.querySelector('[aria-invalid="true"]');
  if (invalid) invalid.focus();

  // Filters apply as soon as a select changes (the Apply button stays for keyboard users).
  var filters = document.querySelector('form.filters');
  if (filters) {
    var selects = filters.querySelectorAll('select');
    for (var j = 0; j < selects.length; j++)
      selects[j].addEventListener('change', function () {
        filters.submit();
      });
  }
})();
