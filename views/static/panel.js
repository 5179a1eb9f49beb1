// Progressive enhancement only: every page works without it.
(() => {
  'use strict';

  // Overview: "select all" and the bulk button follow the row checkboxes.
  const form = document.getElementById('bulk-form');
  if (form) {
    const all = document.getElementById('select-all');
    const apply = document.getElementById('bulk-apply');
    const boxes = () => form.querySelectorAll('input[name="domains"]');
    const sync = () => {
      const list = boxes();
      let checked = 0;
      for (let i = 0; i < list.length; i++) if (list[i].checked) checked++;
      if (apply) apply.disabled = checked === 0;
      if (all) {
        all.checked = checked > 0 && checked === list.length;
        all.indeterminate = checked > 0 && checked < list.length;
      }
    };
    if (all) {
      all.addEventListener('change', () => {
        const list = boxes();
        for (let i = 0; i < list.length; i++) list[i].checked = all.checked;
        sync();
      });
    }
    form.addEventListener('change', sync);
    sync();
  }

  // A refused form: put the keyboard on the first field that needs fixing.
  const invalid = document.querySelector('[aria-invalid="true"]');
  if (invalid) invalid.focus();

  // Filters apply as soon as a select changes (the Apply button stays for keyboard users).
  const filters = document.querySelector('form.filters');
  if (filters) {
    const selects = filters.querySelectorAll('select');
    for (let j = 0; j < selects.length; j++)
      selects[j].addEventListener('change', () => {
        filters.submit();
      });
  }
})();
