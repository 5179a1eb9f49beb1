<?php
// Runs as root after Plesk copied the extension: secret, backend service, panel nginx include.
// Any failure stops the install with a message Plesk shows to the admin.
pm_Context::init('passenger-panel');

$plib = rtrim(pm_Context::getPlibDir(), '/');
require_once $plib . '/library/Config.php';
require_once $plib . '/library/Installer.php';

use Modules_PassengerPanel_Config as Config;
use Modules_PassengerPanel_Installer as Installer;

try {
    Installer::ensureSecret(Config::secretPath(), 'psaadm');

    Installer::copyTree($plib . '/backend', Config::BACKEND_DIR);
    $node = Installer::findNode();
    if (!is_dir(Config::BACKEND_DIR . '/node_modules')) {
        $npm = dirname($node) . '/npm';
        Installer::run([is_executable($npm) ? $npm : 'npm', 'ci', '--omit=dev', '--prefix', Config::BACKEND_DIR]);
    }

    $unit = Installer::renderUnit((string)file_get_contents($plib . '/resources/passenger-panel.service'), [
        '@BACKEND_DIR@' => Config::BACKEND_DIR,
        '@NODE@' => $node,
        '@PORT@' => (string)Config::BACKEND_PORT,
        '@PROXY_PATH@' => Config::PROXY_PATH,
        '@SECRET@' => Config::secretPath(),
    ]);
    Installer::writeFile(Config::UNIT_PATH, $unit, 0644);
    Installer::run(['systemctl', 'daemon-reload']);
    Installer::run(['systemctl', 'enable', Config::SERVICE_NAME]);
    Installer::run(['systemctl', 'restart', Config::SERVICE_NAME]);

    Installer::writeFile(Config::PANEL_NGINX_INCLUDE, (string)file_get_contents($plib . '/resources/panel-nginx.inc'), 0644);
    // A reload that fails leaves the old panel config running; take our include back out so the next restart is safe.
    if (Installer::run(['systemctl', 'reload', 'sw-cp-server'], true) !== 0) {
        @unlink(Config::PANEL_NGINX_INCLUDE);
        Installer::run(['systemctl', 'reload', 'sw-cp-server'], true);
        throw new RuntimeException('The panel web server refused the Passenger Panel include; it was removed again. See `journalctl -u sw-cp-server`.');
    }
    echo "Passenger Panel backend is running on 127.0.0.1:" . Config::BACKEND_PORT . ".\n";
    exit(0);
} catch (Exception $e) {
    fwrite(STDERR, 'Passenger Panel install failed: ' . $e->getMessage() . "\n");
    exit(1);
}
