<?php
// Runs as root before Plesk removes the extension: stop and remove what post-install.php added.
// Each step may fail on a half-installed system; uninstalling must still go through.
pm_Context::init('passenger-panel');

$plib = rtrim(pm_Context::getPlibDir(), '/');
require_once $plib . '/library/Config.php';
require_once $plib . '/library/Installer.php';

use Modules_PassengerPanel_Config as Config;
use Modules_PassengerPanel_Installer as Installer;

Installer::run(['systemctl', 'disable', '--now', Config::SERVICE_NAME], true);
@unlink(Config::UNIT_PATH);
Installer::run(['systemctl', 'daemon-reload'], true);

if (@unlink(Config::PANEL_NGINX_INCLUDE)) {
    Installer::run(['systemctl', 'reload', 'sw-cp-server'], true);
}
// The backend's data (journal, checkpoints) stays in BACKEND_DIR/data for a reinstall; the code goes.
Installer::run(['rm', '-rf', Config::BACKEND_DIR . '/dist', Config::BACKEND_DIR . '/node_modules'], true);
@unlink(Config::secretPath());
exit(0);
