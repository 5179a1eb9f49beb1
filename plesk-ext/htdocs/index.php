<?php
// Entry point Plesk routes the extension's pages through; the controllers in plib/ do the work.
$application = new pm_Application();
$application->run();
