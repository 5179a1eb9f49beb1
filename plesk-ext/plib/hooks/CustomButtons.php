<?php
/** Where Plesk shows Passenger Panel: the admin's navigation and every domain's page. */
class Modules_PassengerPanel_CustomButtons extends pm_Hook_CustomButtons
{
    public function getButtons()
    {
        return [
            [
                'place' => self::PLACE_ADMIN_NAVIGATION,
                'section' => self::SECTION_NAV_SERVER_MANAGEMENT,
                'title' => pm_Locale::lmsg('navigationTitle'),
                'description' => pm_Locale::lmsg('navigationDescription'),
                'icon' => pm_Context::getBaseUrl() . 'images/icon-16.png',
                'link' => pm_Context::getActionUrl('index', 'index'),
            ],
            [
                'place' => self::PLACE_DOMAIN_PROPERTIES,
                'title' => pm_Locale::lmsg('domainButtonTitle'),
                'description' => pm_Locale::lmsg('domainButtonDescription'),
                'icon' => pm_Context::getBaseUrl() . 'images/icon-32.png',
                'link' => pm_Context::getActionUrl('domain', 'open'),
                'contextParams' => true,
            ],
        ];
    }
}
